const base = "https://hacker-news.firebaseio.com/v0";
const ids = await (await fetch(`${base}/topstories.json`)).json();
for (const id of ids.slice(0, 10)) {
  const s = await (await fetch(`${base}/item/${id}.json`)).json();
  console.log(`${s.score}\t${s.title}\t${s.url ?? ""}`);
}
