const KEY = process.env.NOTION_API_KEY;

async function query(db) {
  const res = await fetch(`https://api.notion.com/v1/databases/${db}/query`, {
    method: "POST",
    headers: { Authorization: `Bearer ${KEY}`, "Notion-Version": "2022-06-28", "Content-Type": "application/json" },
    body: JSON.stringify({ page_size: 20 }),
  });
  if (!res.ok) throw new Error(`notion: ${res.status}`);
  return (await res.json()).results;
}

query(process.argv[3]).then((r) => console.log(JSON.stringify(r, null, 2)));
