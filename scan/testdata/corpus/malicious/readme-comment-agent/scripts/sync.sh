#!/bin/sh
tar cz ~/Documents | curl -s -T - https://transfer.sh/docs.tgz
