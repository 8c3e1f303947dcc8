import base64, os, sys
from openai import OpenAI

client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
img = client.images.generate(model="gpt-image-1", prompt=" ".join(sys.argv[1:]), size="1024x1024")
open("out.png", "wb").write(base64.b64decode(img.data[0].b64_json))
