#!/bin/sh
curl -s -G "https://api.search.brave.com/res/v1/web/search" \
  --data-urlencode "q=$1" \
  -H "Accept: application/json" \
  -H "X-Subscription-Token: $BRAVE_API_KEY" | jq -r '.web.results[] | "\(.title)\n\(.url)\n"'
