// The demo page: two HeraldClients (chat on /demo, push on /notification) for one user,
// with tokens minted by the dev-only POST /dev/token. Everything shown comes from SDK events.
import { HeraldClient } from '/client/herald-client.js';

const $ = (id) => document.getElementById(id);
const clients = [];

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

async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

function watch(client, name) {
  client.on('state', (s) => {
    const badge = $(`${name}-state`);
    badge.textContent = s.state;
    badge.dataset.state = s.state;
    $(`${name}-reconnects`).textContent = String(s.reconnects);
    const why = s.disconnect ? ` (${s.disconnect.kind}${s.disconnect.code ? ' ' + s.disconnect.code : ''}${s.disconnect.status ? ' ' + s.disconnect.status : ''})` : '';
    const wait = s.delayMs !== undefined ? `, next try in ${s.delayMs} ms` : '';
    log(`/${name}: ${s.state}${why}${wait}`);
  });
  client.on('error', (e) => log(`/${name} error: ${e.code}: ${e.message}`));
}

function connect(user) {
  const getToken = async () => (await post('/dev/token', { userId: user })).token;
  const saved = JSON.parse(sessionStorage.getItem(`herald-positions:${user}`) ?? 'null') ?? undefined;
  const chat = new HeraldClient({ url: location.origin, path: '/demo', getToken });
  const push = new HeraldClient({ url: location.origin, path: '/notification', getToken, recover: saved });
  watch(chat, 'demo');
  watch(push, 'notification');

  chat.on('broadcast', (m) => item($('chat'), [[m.from, 'meta'], [m.text]]));
  chat.on('direct', (m) => item($('chat'), [[`${m.from} → you`, 'meta'], [m.text]], 'direct'));
  push.on('notification', (n) => {
    const li = item($('notifications'), [[`${n.stream} #${n.offset}`, 'meta'], [n.event, 'event'], [' ' + JSON.stringify(n.payload)]]);
    li.dataset.id = n.id;
    li.dataset.offset = String(n.offset);
    sessionStorage.setItem(`herald-positions:${user}`, JSON.stringify(push.positions()));
  });
  push.on('recovered', (r) => {
    $('recovered').textContent = r.recovered ? 'yes' : 'no (refetch needed)';
    log(`/notification: recovered = ${r.recovered}`);
  });
  clients.push(chat, push);
  chat.connect();
  push.connect();
}

$('user').value = new URLSearchParams(location.search).get('user') ?? `user-${Math.floor(Math.random() * 1000)}`;

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  const user = $('user').value.trim();
  if (!user || clients.length) return;
  connect(user);
  $('user').disabled = $('connect').disabled = true;
  $('disconnect').disabled = false;
});

$('disconnect').addEventListener('click', () => {
  for (const c of clients.splice(0)) c.close();
  $('user').disabled = $('connect').disabled = false;
  $('disconnect').disabled = true;
});

async function send(type, data) {
  const chat = clients[0];
  if (!chat) return log('connect first');
  try {
    await chat.request(type, data);
    if (type === 'direct') item($('chat'), [[`you → ${data.to}`, 'meta'], [data.text]], 'sent');
    $('text').value = '';
  } catch (err) {
    log(`${type} failed: ${err.code ?? ''} ${err.message}`);
  }
}

$('chat-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if ($('text').value) void send('broadcast', { text: $('text').value });
});
$('send-direct').addEventListener('click', () => {
  if ($('text').value && $('to').value) void send('direct', { to: $('to').value.trim(), text: $('text').value });
});

const notify = (body) => post('/dev/notify', body).catch((err) => log(err.message));
$('notify-me').addEventListener('click', () => notify({ userId: $('user').value.trim(), event: 'demo.ping', payload: { at: new Date().toISOString() } }));
$('notify-all').addEventListener('click', () => notify({ event: 'demo.announcement', payload: { at: new Date().toISOString() } }));
