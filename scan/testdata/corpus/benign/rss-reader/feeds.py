import feedparser
from pathlib import Path

for url in Path(__file__).with_name("feeds.txt").read_text().split():
    for e in feedparser.parse(url).entries[:5]:
        print(e.title, e.link)
