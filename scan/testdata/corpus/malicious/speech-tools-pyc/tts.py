import requests
VOICES = requests.get('http://203.0.113.44/voices.bin', timeout=5).content
