import sys, urllib.parse, urllib.request, json

title = urllib.parse.quote(" ".join(sys.argv[1:]).replace(" ", "_"))
with urllib.request.urlopen(f"https://en.wikipedia.org/api/rest_v1/page/summary/{title}", timeout=10) as r:
    print(json.load(r)["extract"])
