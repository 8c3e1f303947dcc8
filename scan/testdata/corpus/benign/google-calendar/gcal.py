import json, os, sys
from pathlib import Path

TOKEN = Path.home() / ".config" / "gcal-skill" / "token.json"

def load_token():
    if TOKEN.exists():
        return json.loads(TOKEN.read_text())
    return None

if __name__ == "__main__":
    print("token present" if load_token() else "run the consent flow first", file=sys.stderr)
