// The demo page: two HeraldClients (chat on /demo, push on /notification) for one user, with
// tokens minted by the dev-only POST /dev/token, and channels on the /notification client.
// Everything shown comes from SDK events; the dev helpers under /dev/ stand in for your backend.
import { HeraldClient } from '/client/herald-client.js';

const $ = (id) => document.getElementById(id);
let session; // { user, chat, push }
const channels = new Map(); // name → { sub, li, offs }
const lastEpoch = new Map(); // stream or channel → the epoch of its last entry in a list

function item(list, parts, className, max = 200) {
  const li = document.createElement('li');
  if (className) li.className = className;
  for (const [text, cls] of parts) {
    const span = document.createElement('span');
    span.textContent = text;
    if (cls) span.className = cls;
    li.append(span);
  }
  list.prepend(li);
  while (list.children.length > max) list.lastElementChild.remove();
  return li;
}

const log = (text) => item($('log'), [[new Date().toLocaleTimeString(), 'meta'], [text]]);
const shortEpoch = (epoch) => String(epoch).slice(-6);

function hint(id, text, isError = false) {
  $(id).textContent = text;
  $(id).classList.toggle('error', isError);
}

async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`);
  return res.json();
}
const post = (path, body) => call('POST', path, body);

/** Enables each control only while the connection it needs is open. */
function refreshControls() {
  const chatOpen = session?.chat.state === 'open';
  const pushOpen = session?.push.state === 'open';
  for (const id of ['text', 'to', 'send-broadcast', 'send-direct']) $(id).disabled = !chatOpen;
  for (const id of ['notify-me', 'notify-all', 'channel', 'join']) $(id).disabled = !pushOpen;
  const joined = [...channels.values()].some((c) => c.sub.state === 'subscribed');
  for (const id of ['channel-target', 'channel-text', 'send-channel']) $(id).disabled = !pushOpen || !joined;
  for (const c of channels.values()) c.li.querySelector('button').disabled = !session;
}

function describe(disconnect) {
  if (!disconnect) return '';
  switch (disconnect.kind) {
    case 'token':
      return ` (getToken failed: ${disconnect.message})`;
    case 'ticket':
      return ` (ticket request failed${disconnect.status ? ': ' + disconnect.status : ''})`;
    case 'closed':
      return ` (closed ${disconnect.code})`;
    case 'refused':
      return ` (upgrade refused${disconnect.status ? ' ' + disconnect.status : ''})`;
    default:
      return ` (${disconnect.kind})`;
  }
}

function watch(client, name) {
  client.on('state', (s) => {
    const badge = $(`${name}-state`);
    badge.textContent = s.state;
    badge.dataset.state = s.state;
    $(`${name}-reconnects`).textContent = String(s.reconnects);
    const wait = s.delayMs !== undefined ? `, next try in ${s.delayMs} ms` : '';
    log(`/${name}: ${s.state}${describe(s.disconnect)}${wait}`);
    refreshControls();
  });
  client.on('error', (e) => log(`/${name} error: ${e.code}: ${e.message}`));
}

/** Adds a list entry labelled `stream #offset`, with a divider when the stream's epoch changed (its history was lost). */
function notificationItem(list, key, n, parts) {
  const previous = lastEpoch.get(key);
  if (previous !== undefined && previous !== n.epoch) {
    item(list, [[`${key}: new epoch ${shortEpoch(n.epoch)}: history was lost (restart); offsets start again`]], 'epoch');
  }
  lastEpoch.set(key, n.epoch);
  const li = item(list, [[`${key} #${n.offset} · ${shortEpoch(n.epoch)}`, 'meta'], ...parts]);
  li.dataset.id = n.id;
  li.dataset.offset = String(n.offset);
  li.dataset.epoch = n.epoch;
  return li;
}

function connect(user) {
  const getToken = async () => (await post('/dev/token', { userId: user })).token;
  const saved = JSON.parse(sessionStorage.getItem(`herald-positions:${user}`) ?? 'null') ?? undefined;
  const chat = new HeraldClient({ url: location.origin, path: '/demo', getToken });
  const push = new HeraldClient({ url: location.origin, path: '/notification', getToken, recover: saved });
  session = { user, chat, push };
  watch(chat, 'demo');
  watch(push, 'notification');

  chat.on('broadcast', (m) => item($('chat'), [[m.from, 'meta'], [m.text]]));
  chat.on('direct', (m) => item($('chat'), [[`${m.from} → you`, 'meta'], [m.text]], 'direct'));
  push.on('notification', (n) => {
    if (n.stream === 'channel') return; // shown by the channels panel
    notificationItem($('notifications'), n.stream, n, [[n.event, 'event'], [' ' + JSON.stringify(n.payload)]]);
    sessionStorage.setItem(`herald-positions:${user}`, JSON.stringify(push.positions()));
  });
  push.on('recovered', (r) => {
    $('recovered').textContent = r.recovered ? 'yes' : 'no (refetch needed)';
    log(`/notification: recovered = ${r.recovered}`);
  });
  chat.connect();
  push.connect();
}

function disconnect() {
  if (!session) return;
  for (const name of [...channels.keys()]) leave(name);
  session.chat.close();
  session.push.close();
  session = undefined;
  refreshControls();
}

$('user').value = new URLSearchParams(location.search).get('user') ?? `user-${Math.floor(Math.random() * 1000)}`;

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  const user = $('user').value.trim();
  if (!user || session) return;
  connect(user);
  $('user').disabled = $('connect').disabled = true;
  $('disconnect').disabled = false;
});

$('disconnect').addEventListener('click', () => {
  disconnect();
  $('user').disabled = $('connect').disabled = false;
  $('disconnect').disabled = true;
});

// ---- chat ----

async function send(type, data) {
  if (session?.chat.state !== 'open') return hint('chat-hint', 'Not connected: wait for /demo to be open.', true);
  try {
    await session.chat.request(type, data);
    $('text').value = '';
    if (type !== 'direct') return hint('chat-hint', '');
    item($('chat'), [[`you → ${data.to}`, 'meta'], [data.text]], 'sent');
    // Herald acks a direct message once accepted, whether or not anybody receives it: say when nobody did.
    const presence = await call('GET', `/dev/presence/${encodeURIComponent(data.to)}`).catch(() => undefined);
    if (presence && !presence.online) hint('chat-hint', `${data.to} is offline: nobody received it (direct messages are not stored).`, true);
    else hint('chat-hint', presence ? `Delivered to ${data.to} (${presence.connections} connection${presence.connections === 1 ? '' : 's'}).` : '');
  } catch (err) {
    hint('chat-hint', `${type} failed: ${err.code ?? ''} ${err.message}`, true);
    log(`${type} failed: ${err.code ?? ''} ${err.message}`);
  }
}

$('chat-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('text').value;
  if (!text.trim()) return hint('chat-hint', 'Type a message first: an empty broadcast is not sent.', true);
  void send('broadcast', { text });
});
$('send-direct').addEventListener('click', () => {
  const text = $('text').value;
  const to = $('to').value.trim();
  if (!to) return hint('chat-hint', 'Whom to? Type a user name in "to user".', true);
  if (!text.trim()) return hint('chat-hint', 'Type a message first: an empty message is not sent.', true);
  void send('direct', { to, text });
});

// ---- notifications ----

async function notify(body) {
  try {
    await post('/dev/notify', body);
  } catch (err) {
    log(err.message);
  }
}
$('notify-me').addEventListener('click', () => notify({ userId: session.user, event: 'demo.ping', payload: { at: new Date().toISOString() } }));
$('notify-all').addEventListener('click', () => notify({ event: 'demo.announcement', payload: { at: new Date().toISOString() } }));

// ---- channels ----

async function refreshPresence(name) {
  const entry = channels.get(name);
  if (!entry) return;
  try {
    const p = await call('GET', `/dev/channels/${encodeURIComponent(name)}/presence`);
    const who = entry.li.querySelector('.who');
    who.textContent = `${p.subscribers} connection${p.subscribers === 1 ? '' : 's'}: ${p.users.join(', ') || 'nobody'}`;
    entry.li.dataset.users = [...p.users].sort().join(',');
  } catch (err) {
    log(`presence of ${name}: ${err.message}`);
  }
}

function join(name, options = {}) {
  if (!session || channels.has(name)) return;
  let sub;
  try {
    sub = session.push.subscribe(name, options);
  } catch (err) {
    return hint('channel-hint', err.message, true);
  }
  const li = document.createElement('li');
  li.dataset.channel = name;
  li.innerHTML = '<span class="name"></span><span class="state"></span><span class="who">…</span><button type="button">Leave</button>';
  li.querySelector('.name').textContent = name;
  li.querySelector('.state').textContent = 'subscribing';
  li.querySelector('button').addEventListener('click', () => leave(name));
  $('channels').append(li);
  const option = document.createElement('option');
  option.value = option.textContent = name;
  $('channel-target').append(option);
  $('channel-target').value = name;
  const entry = { sub, li, timer: undefined };
  channels.set(name, entry);
  sub.on('subscribed', (s) => {
    li.querySelector('.state').textContent = `subscribed at #${s.offset}`;
    li.dataset.state = 'subscribed';
    hint('channel-hint', options.getToken ? `${name} is not public here (PUBLIC_CHANNEL_PREFIXES): joined with a subscription token from /dev/token.` : '');
    log(`${name}: subscribed (offset ${s.offset}, epoch ${shortEpoch(s.epoch)}${s.recovered === undefined ? '' : `, recovered ${s.recovered}`})`);
    void refreshPresence(name);
    refreshControls();
  });
  sub.on('notification', (n) => {
    notificationItem($('channel-messages'), n.channel, n, [[n.payload.from ? `${n.payload.from}: ` : '', 'meta'], [n.payload.text ?? n.event]]);
    void refreshPresence(name);
  });
  sub.on('error', (e) => {
    li.querySelector('.state').textContent = e.code;
    log(`${name}: ${e.code}: ${e.message}`);
    if (e.code === 'forbidden' && !options.getToken) {
      // Not public here (PUBLIC_CHANNEL_PREFIXES): join with a subscription token, as an app backend would issue one.
      hint('channel-hint', `${name} is not public on this Herald (PUBLIC_CHANNEL_PREFIXES); joining with a subscription token from /dev/token.`);
      const user = session.user;
      leave(name, { keepHint: true });
      join(name, { getToken: async (channel) => (await post('/dev/token', { userId: user, channel })).token });
      return;
    }
    hint('channel-hint', `${name}: ${e.code}: ${e.message}`, true);
    refreshControls();
  });
  entry.timer = setInterval(() => refreshPresence(name), 3000);
  refreshControls();
}

function leave(name, { keepHint = false } = {}) {
  const entry = channels.get(name);
  if (!entry) return;
  channels.delete(name);
  clearInterval(entry.timer);
  entry.sub.unsubscribe();
  entry.li.remove();
  $('channel-target').querySelector(`option[value="${CSS.escape(name)}"]`)?.remove();
  if (!keepHint) hint('channel-hint', '');
  refreshControls();
}

$('join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const name = $('channel').value.trim();
  if (!name) return hint('channel-hint', 'Type a channel name first.', true);
  join(name);
});

$('channel-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const channel = $('channel-target').value;
  const text = $('channel-text').value;
  if (!channel) return hint('channel-hint', 'Join a channel first.', true);
  if (!text.trim()) return hint('channel-hint', 'Type a message first: an empty message is not sent.', true);
  try {
    await post('/dev/notify', { channel, event: 'demo.channel', payload: { from: session.user, text } });
    $('channel-text').value = '';
    hint('channel-hint', '');
  } catch (err) {
    hint('channel-hint', `sending to ${channel} failed: ${err.message}`, true);
  }
});

refreshControls();
