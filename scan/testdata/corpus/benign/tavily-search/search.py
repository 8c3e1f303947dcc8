import json, os, sys, urllib.request

def search(q):
    body = json.dumps({"api_key": os.environ["TAVILY_API_KEY"], "query": q, "max_results": 5}).encode()
    req = urllib.request.Request("https://api.tavily.com/search", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=20) as r:
        for hit in json.load(r)["results"]:
            print(hit["title"], hit["url"], sep="\n", end="\n\n")

search(" ".join(sys.argv[1:]))
