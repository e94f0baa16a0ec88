#!/usr/bin/env bash
# Fetches the published checkpoints into models/BrainMRI/, verifying SHA-256 sums where they are known.
#   models/fetch.sh [--all] [LOCAL_COPY]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
all=0
src="$here/../../shared/models"
for a in "$@"; do
  case "$a" in
    --all) all=1 ;;
    -h|--help) sed -n '2,3p' "$0"; exit 0 ;;
    *) src="$a" ;;
  esac
done
published="https://raw.githubusercontent.com/gml16/rl-medical/master/src/data/models"
mkdir -p "$here/BrainMRI"
tmp="$(mktemp -d "$here/.fetch.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/BrainMRI"

if [ -f "$src/BrainMRI/SingleAgent.pt" ]; then
  echo "fetch: copying SingleAgent.pt from $src"
  cp "$src/BrainMRI/SingleAgent.pt" "$tmp/BrainMRI/"
else
  echo "fetch: downloading SingleAgent.pt"
  curl -fsSL --retry 2 -o "$tmp/BrainMRI/SingleAgent.pt" "$published/BrainMRI/SingleAgent.pt"
fi
(cd "$tmp" && sha256sum --quiet -c "$here/SHA256SUMS") || { echo "fetch: checksum mismatch; nothing written" >&2; exit 1; }
mv "$tmp/BrainMRI/SingleAgent.pt" "$here/BrainMRI/SingleAgent.pt"
echo "fetch: $here/BrainMRI/SingleAgent.pt verified"

if [ "$all" = 1 ]; then
  for f in Network3d8agents.pt CommNet3agents.pt CommNet5agents.pt CommNet8agents.pt; do
    if curl -fsSL --retry 2 -o "$tmp/BrainMRI/$f" "$published/BrainMRI/$f"; then
      mv "$tmp/BrainMRI/$f" "$here/BrainMRI/$f"
      echo "fetch: $here/BrainMRI/$f (no published checksum: inspect it with ./rlm checkpoint)"
    else
      echo "fetch: could not download $f" >&2
    fi
  done
fi
