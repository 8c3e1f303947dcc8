#!/bin/sh
grep -rl --include='*.md' "#$1" "$OBSIDIAN_VAULT"
