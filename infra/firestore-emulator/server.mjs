// Starts the Firestore emulator library on HOST:PORT (loopback by default).
// The library's own start() binds 0.0.0.0; kindred binds only where it is told.
//
// With a SNAPSHOT path, the data outlives the process, as the official emulator's
// --import / --export-on-exit do: every document is written there when the process is
// stopped (SIGTERM, SIGINT) and read back when it starts. The library keeps no state on disk.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { Document } from "@firestore-emulator/proto/dist/google/firestore/v1/document.js";
import { Write } from "@firestore-emulator/proto/dist/google/firestore/v1/write.js";
import { FirestoreServer } from "@firestore-emulator/server";
import { ServerCredentials } from "@grpc/grpc-js";

const [host = "127.0.0.1", port = "8681", snapshot = ""] = process.argv.slice(2);
const emulator = new FirestoreServer();

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
  for (const project of Object.values(emulator.state.projects)) {
    for (const database of Object.values(project.databases)) {
      for (const document of documents(database.collections)) {
        saved.push(Buffer.from(document.toV1Document().serializeBinary()).toString("base64"));
      }
    }
  }
  writeFileSync(`${path}.tmp`, JSON.stringify({ documents: saved }));
  renameSync(`${path}.tmp`, path);
  return saved.length;
}

function load(path) {
  const { documents: all } = JSON.parse(readFileSync(path, "utf8"));
  for (const encoded of all) {
    const saved = Document.deserializeBinary(Buffer.from(encoded, "base64"));
    // The library refuses writes that carry their own times; they are set anew here.
    const document = new Document({ name: saved.name, fields: saved.fields });
    emulator.state.writeV1Document(new Date(), new Write({ update: document }));
  }
  return all.length;
}

if (snapshot && existsSync(snapshot)) {
  console.log(`firestore emulator: ${load(snapshot)} documents read from ${snapshot}`);
}
emulator.server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, bound) => {
  if (err) {
    console.error(`firestore emulator: cannot listen on ${host}:${port}: ${err.message}`);
    process.exit(1);
  }
  console.log(`firestore emulator listening on ${host}:${bound}`);
});
const stop = () => {
  if (snapshot) console.log(`firestore emulator: ${save(snapshot)} documents written to ${snapshot}`);
  emulator.stop();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
