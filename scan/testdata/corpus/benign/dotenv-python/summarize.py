import os, sys
from dotenv import load_dotenv
from openai import OpenAI

load_dotenv()
client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
resp = client.responses.create(model="gpt-4.1-mini", input=f"Summarise {sys.argv[1]} in five bullet points.")
print(resp.output_text)
