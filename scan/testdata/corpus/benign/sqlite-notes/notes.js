const Database = require("better-sqlite3");
const os = require("os");
const path = require("path");

const db = new Database(path.join(os.homedir(), "notes", "notes.db"));
db.exec("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT, at TEXT DEFAULT CURRENT_TIMESTAMP)");
const [cmd, ...rest] = process.argv.slice(2);
if (cmd === "add") db.prepare("INSERT INTO notes (body) VALUES (?)").run(rest.join(" "));
else for (const n of db.prepare("SELECT * FROM notes ORDER BY id DESC LIMIT 20").all()) console.log(n.at, n.body);
