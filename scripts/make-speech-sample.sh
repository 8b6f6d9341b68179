#!/usr/bin/env bash
# Regenerates public/samples/speech-16k.wav and public/samples/speech-16k.json.
#
# Not run at install time: the outputs are committed. Run it by hand only if the
# sample has to change, then commit both files (and update LICENSES.md if the
# tool versions differ).
#
# Requirements (Debian bookworm): apt-get install -y espeak-ng sox python3
# Generated with espeak-ng 1.51+dfsg-10+deb12u2 and sox 14.4.2+git20190427-3.5.
# Other espeak-ng versions may produce slightly different audio, and therefore
# different speech intervals in the JSON.
#
# Layout of the clip (16 kHz, mono, signed 16-bit PCM):
#   1.0 s digital silence | phrase 1 | 0.8 s digital silence | phrase 2 | 1.0 s digital silence
# Each phrase is trimmed to its first/last sample with |x| >= TRIM (so the
# padding really is exact digital silence of the stated length), then
# peak-normalised to -3 dBFS.
#
# The JSON's speech intervals are measured, not assumed: the signal is cut into
# non-overlapping 32 ms windows (512 samples); a window is active when its peak
# |x| exceeds THRESH; active runs separated by less than MIN_GAP_MS are merged
# (stop closures inside a phrase); each run's edges are then refined to the first
# and last sample above THRESH and reported in ms (start floored, end ceiled).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$ROOT/public/samples"
WAV="$OUT_DIR/speech-16k.wav"
JSON="$OUT_DIR/speech-16k.json"

VOICE=en-us
WPM=160
PHRASE1="The quick brown fox jumps over the lazy dog."
PHRASE2="Inference runs inside the page."
TRIM=16            # |x| below this at the phrase edges is cut (about -66 dBFS)
THRESH=328         # speech threshold on |x| (about -40 dBFS, 1 % of full scale)
MIN_GAP_MS=300     # gaps shorter than this inside a phrase are merged

for tool in espeak-ng sox python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y espeak-ng sox python3)" >&2; exit 1; }
done

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT_DIR"

# 1. Synthesize (espeak-ng writes 22050 Hz mono 16-bit WAV).
espeak-ng -v "$VOICE" -s "$WPM" -w "$TMP/raw1.wav" "$PHRASE1"
espeak-ng -v "$VOICE" -s "$WPM" -w "$TMP/raw2.wav" "$PHRASE2"

# 2. Resample to 16 kHz mono s16 (very high quality, no dither) and normalise.
for i in 1 2; do
  sox -V1 -D "$TMP/raw$i.wav" -r 16000 -c 1 -b 16 -e signed-integer "$TMP/rs$i.wav" rate -v 16000 norm -3
done

# 3. Trim each phrase to its first/last sample with |x| >= TRIM.
for i in 1 2; do
  python3 - "$TMP/rs$i.wav" "$TMP/tr$i.wav" "$TRIM" <<'PY'
import array, sys, wave
src, dst, trim = sys.argv[1], sys.argv[2], int(sys.argv[3])
with wave.open(src) as w:
    assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
    a = array.array("h", w.readframes(w.getnframes()))
if sys.byteorder != "little":
    a.byteswap()
idx = [i for i, x in enumerate(a) if abs(x) >= trim]
a = a[idx[0] : idx[-1] + 1]
if sys.byteorder != "little":
    a.byteswap()
with wave.open(dst, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
    w.writeframes(a.tobytes())
PY
done

# 4. Assemble: 1.0 s silence + phrase 1 + 0.8 s silence + phrase 2 + 1.0 s silence.
sox -V1 -D -n -r 16000 -c 1 -b 16 -e signed-integer "$TMP/gap.wav" trim 0 0.8
sox -V1 -D "$TMP/tr1.wav" "$TMP/gap.wav" "$TMP/tr2.wav" -r 16000 -c 1 -b 16 -e signed-integer "$WAV" pad 1.0 1.0

# 5. Measure the speech intervals and write the JSON.
python3 - "$WAV" "$JSON" "$THRESH" "$MIN_GAP_MS" "$PHRASE1" "$PHRASE2" <<'PY'
import array, json, math, sys, wave
wav, out, thresh, min_gap_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
text = sys.argv[5:]
with wave.open(wav) as w:
    assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
    sr = w.getframerate()
    a = array.array("h", w.readframes(w.getnframes()))
if sys.byteorder != "little":
    a.byteswap()
n = len(a)
win = sr * 32 // 1000  # 512 samples = 32 ms
active = [max(abs(x) for x in a[i : i + win]) > thresh for i in range(0, n, win)]
runs, start = [], None
for k, on in enumerate(active + [False]):
    if on and start is None:
        start = k
    elif not on and start is not None:
        runs.append([start * win, min(k * win, n)]); start = None
merged = []
for s, e in runs:
    if merged and (s - merged[-1][1]) * 1000 / sr < min_gap_ms:
        merged[-1][1] = e
    else:
        merged.append([s, e])
speech = []
for s, e in merged:
    first = next(i for i in range(s, e) if abs(a[i]) > thresh)
    last = next(i for i in range(e - 1, s - 1, -1) if abs(a[i]) > thresh)
    speech.append({"startMs": math.floor(first * 1000 / sr), "endMs": math.ceil((last + 1) * 1000 / sr)})
doc = {"sampleRate": sr, "durationMs": round(n * 1000 / sr), "speech": speech, "text": text}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
print(f"{wav}: {n} samples, {n / sr:.3f} s")
for seg, t in zip(speech, text + [""] * len(speech)):
    print(f"  speech {seg['startMs']:>5} .. {seg['endMs']:>5} ms  {t}")
PY
