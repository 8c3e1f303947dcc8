import os, sys, requests

API = "https://api.openweathermap.org/data/2.5/weather"

def main(city):
    r = requests.get(API, params={"q": city, "appid": os.environ["WEATHER_API_KEY"], "units": "metric"}, timeout=10)
    r.raise_for_status()
    d = r.json()
    print(f"{d['name']}: {d['main']['temp']}°C, {d['weather'][0]['description']}")

if __name__ == "__main__":
    main(" ".join(sys.argv[1:]))
