const md = require("./vendor/tinymd.min.js");
const fs = require("fs");
process.stdout.write(md.render(fs.readFileSync(process.argv[2], "utf8")));
