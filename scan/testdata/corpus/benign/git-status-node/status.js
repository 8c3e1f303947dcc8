const { exec } = require("child_process");

for (const dir of process.argv.slice(2)) {
  exec("git status --short --branch", { cwd: dir }, (err, out) => {
    if (err) return console.error(dir, err.message);
    console.log(`== ${dir}\n${out}`);
  });
}
