// The write-ahead journal of the Firestore emulator: every write the library applied, appended
// (and fsynced) before its commit is answered, so a SIGKILL loses no acknowledged write.
//
// One line per applied write: {"s": sequence, "t": commit time in ms, "w": base64 of the
// google.firestore.v1.Write}. Only writes the library applied are journaled (a create() that
// met an existing document threw and left nothing), so replaying them in order, at their
// commit times, rebuilds exactly the state they made: preconditions, transforms and all.
// Sequence numbers go on across compactions; the snapshot records the last one it holds, so a
// journal left behind by a crash between writing the snapshot and emptying the journal is not
// applied twice.
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { Write } from "@firestore-emulator/proto/dist/google/firestore/v1/write.js";

// How each append reaches the disk: "fsync" (survives a machine crash), "write" (a synchronous
// write(2): survives the process's death, not the machine's) or "off" (no journal at all).
export const MODES = ["fsync", "write", "off"];

export class Journal {
  constructor(path, mode = "fsync") {
    if (!MODES.includes(mode)) throw new Error(`journal mode ${mode}: not one of ${MODES.join(", ")}`);
    this.path = path;
    this.mode = mode;
    this.fd = mode === "off" ? null : openSync(path, "a");
    this.bytes = this.fd === null ? 0 : fstatSync(this.fd).size;
  }

  // Before the write is applied: the library may change the objects it is handed.
  static encode(write) {
    return Buffer.from(write.serializeBinary()).toString("base64");
  }

  append(sequence, date, encoded) {
    if (this.fd === null) return;
    const line = `${JSON.stringify({ s: sequence, t: date.getTime(), w: encoded })}\n`;
    this.bytes += writeSync(this.fd, line);
    if (this.mode === "fsync") fsyncSync(this.fd);
  }

  // Called once the snapshot holds everything journaled so far.
  empty() {
    if (this.fd === null) return;
    ftruncateSync(this.fd, 0);
    this.bytes = 0;
    if (this.mode === "fsync") fsyncSync(this.fd);
  }

  close() {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

// The journaled writes after `after`, in order. A last line cut short (the process died in
// the middle of its append, before that commit was answered) is left out; a bad line anywhere
// else is damage, and starting on it would silently lose writes, so it throws.
export function* records(path, after = 0) {
  if (!existsSync(path)) return;
  const lines = readFileSync(path, "utf8").split("\n");
  for (const [index, line] of lines.entries()) {
    if (!line) continue;
    let record;
    try {
      record = JSON.parse(line);
    } catch (err) {
      if (index === lines.length - 1) return; // no newline after it: a torn last append
      throw new Error(`${path}:${index + 1}: not a journal record (${err.message})`);
    }
    if (record.s > after) {
      yield { sequence: record.s, date: new Date(record.t), write: Write.deserializeBinary(Buffer.from(record.w, "base64")) };
    }
  }
}
