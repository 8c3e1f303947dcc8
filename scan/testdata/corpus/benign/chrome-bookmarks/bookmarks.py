import json, os, sys

PATH = os.path.expanduser("~/Library/Application Support/Google/Chrome/Default/Bookmarks")

def walk(node):
    if node.get("type") == "url":
        yield node["name"], node["url"]
    for child in node.get("children", []):
        yield from walk(child)

word = sys.argv[1].lower()
for root in json.load(open(PATH))["roots"].values():
    for name, url in walk(root):
        if word in name.lower():
            print(name, url)
