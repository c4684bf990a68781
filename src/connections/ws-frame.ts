import type { Socket } from 'node:net';
import * as ws from 'ws';
import type { WebSocket } from 'ws';

interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}
// ws exports Sender at runtime; @types/ws does not declare it
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): [Buffer, Buffer] } };

/** Builds one unmasked, uncompressed, final text frame (server → client): header and payload in one Buffer. */
export function textFrame(payload: Buffer): Buffer {
  const [header, data] = Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false });
  return Buffer.concat([header, data], header.length + data.length);
}

/** The parts of a `ws` WebSocket the fan-out writes around (ws 8; pinned in package.json). */
interface WsInternals {
  _socket: Socket | null;
  _sender: { _state: number; _queue: unknown[] } | null;
  _receiver: { _mask?: Buffer; _buffers: Buffer[] } | null;
}

/**
 * Once a message is received, its frame's masking key is spent (every frame
 * brings its own), but ws keeps it: a slice that pins the whole read chunk
 * of an idle connection in memory; and the emptied chunk queue keeps the
 * capacity it grew to. Call from a 'message' listener.
 */
export function releaseReceiveBuffers(client: WebSocket): void {
  const receiver = (client as unknown as WsInternals)._receiver;
  if (!receiver) return;
  receiver._mask = undefined;
  if (receiver._buffers.length === 0) receiver._buffers = [];
}

/**
 * Writes a frame built by `textFrame` straight to the socket's TCP stream, as
 * the Sender would. Only when the Sender is idle (nothing deflating or queued
 * ahead of it, which would be overtaken); false when the caller must `send`.
 * Herald runs with perMessageDeflate off, so the Sender is always idle.
 */
export function writeFrame(client: WebSocket, frame: Buffer): boolean {
  const { _socket: socket, _sender: sender } = client as unknown as WsInternals;
  if (socket === null || sender === null || sender._state !== 0 || sender._queue.length !== 0 || !socket.writable) return false;
  socket.write(frame);
  return true;
}
