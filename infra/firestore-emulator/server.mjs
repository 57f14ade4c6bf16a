// Starts the Firestore emulator library on HOST:PORT (loopback by default).
// The library's own start() binds 0.0.0.0; kindred binds only where it is told.
//
//   node server.mjs [HOST] [PORT] [SNAPSHOT] [JOURNAL_MODE]
//
// With a SNAPSHOT path, the data outlives the process, even a SIGKILL. The library keeps no
// state on disk, so this launcher does, in two files:
// - SNAPSHOT (JSON): every document, written (to a temporary file, then renamed) on a clean
//   stop (SIGTERM, SIGINT), at start, and when the journal grows past JOURNAL_LIMIT bytes;
// - the journal (SNAPSHOT's name with .journal for .json): every write the library applies,
//   appended before its commit is answered (journal.mjs; JOURNAL_MODE fsync by default, or
//   write, or off: no journal, the snapshot on a clean stop only, as before).
// At start the snapshot is read, then the journal's writes after it are replayed at their
// own commit times; the result is written back as the snapshot and the journal emptied.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { Document } from "@firestore-emulator/proto/dist/google/firestore/v1/document.js";
import { Write } from "@firestore-emulator/proto/dist/google/firestore/v1/write.js";
import { FirestoreServer } from "@firestore-emulator/server";
import { ServerCredentials } from "@grpc/grpc-js";
import { Journal, records } from "./journal.mjs";

const [host = "127.0.0.1", port = "8681", snapshot = "", mode = "fsync"] = process.argv.slice(2);
const JOURNAL_LIMIT = 16 * 1024 * 1024;
const emulator = new FirestoreServer();
const state = emulator.state;
const apply = state.writeV1Document.bind(state); // the library's own, unjournaled
let sequence = 0; // of the last write applied

// The library's state is a tree (projects > databases > collections > documents >
// collections ...) whose fields are private in its types only; a document that was deleted
// or exists only as a parent of sub-collections has hasExist false and is not saved.
function* documents(collections) {
  for (const collection of Object.values(collections)) {
    for (const document of Object.values(collection.documents)) {
      if (document.metadata.hasExist) yield document;
      yield* documents(document.collections);
    }
  }
}

function save(path) {
  const saved = [];
  for (const project of Object.values(state.projects)) {
    for (const database of Object.values(project.databases)) {
      for (const document of documents(database.collections)) {
        saved.push(Buffer.from(document.toV1Document().serializeBinary()).toString("base64"));
      }
    }
  }
  writeFileSync(`${path}.tmp`, JSON.stringify({ journal: sequence, documents: saved }));
  const fd = openSync(`${path}.tmp`, "r");
  fsyncSync(fd);
  closeSync(fd);
  renameSync(`${path}.tmp`, path);
  return saved.length;
}

function load(path) {
  const { journal = 0, documents: all } = JSON.parse(readFileSync(path, "utf8"));
  for (const encoded of all) {
    const saved = Document.deserializeBinary(Buffer.from(encoded, "base64"));
    // The library refuses writes that carry their own times; they are set anew here.
    const document = new Document({ name: saved.name, fields: saved.fields });
    apply(new Date(), new Write({ update: document }));
  }
  sequence = journal;
  return all.length;
}

function replay(path) {
  let count = 0;
  for (const record of records(path, sequence)) {
    apply(record.date, record.write); // it applied once: it applies again, to the same state
    sequence = record.sequence;
    count += 1;
  }
  return count;
}

const journalPath = snapshot.replace(/\.json$/, "") + ".journal";
if (snapshot && existsSync(snapshot)) {
  console.log(`firestore emulator: ${load(snapshot)} documents read from ${snapshot}`);
}
const journal = snapshot && mode !== "off" ? new Journal(journalPath, mode) : null;
if (journal) {
  const replayed = replay(journalPath);
  console.log(`firestore emulator: ${replayed} journaled writes replayed from ${journalPath}`);
  compact();
  // Commit applies its writes one by one through this method, then answers: each write is in
  // the journal before the client hears of it. A write that throws (a failed precondition)
  // changed nothing and is not journaled.
  let compacting = false;
  state.writeV1Document = (date, write) => {
    const encoded = Journal.encode(write);
    const result = apply(date, write);
    sequence += 1;
    journal.append(sequence, date, encoded);
    if (journal.bytes > JOURNAL_LIMIT && !compacting) {
      compacting = true; // once the commits under way are answered
      setImmediate(() => {
        compacting = false;
        compact();
      });
    }
    return result;
  };
}

function compact() {
  const count = save(snapshot);
  journal.empty();
  return count;
}

emulator.server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, bound) => {
  if (err) {
    console.error(`firestore emulator: cannot listen on ${host}:${port}: ${err.message}`);
    process.exit(1);
  }
  console.log(`firestore emulator listening on ${host}:${bound} (journal: ${journal ? mode : "off"})`);
});
const stop = () => {
  if (snapshot) {
    const count = journal ? compact() : save(snapshot);
    console.log(`firestore emulator: ${count} documents written to ${snapshot}`);
  }
  emulator.stop();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
