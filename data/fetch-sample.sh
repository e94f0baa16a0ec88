#!/usr/bin/env bash
# Fills data/sample/ with the 10 sample brain MRI scans and their landmarks, verifying SHA-256 sums.
#
#   data/fetch-sample.sh                # copy from ../shared/sample-data (beside the checkout) if present,
#                                       # else download from the published repository
#   data/fetch-sample.sh /path/to/copy  # copy from a local folder laid out like sample-data/ (brain/images, ...)
#
# The checksums come from SHA256SUMS (a copy is kept beside this script), so a download that was cut short or
# altered is rejected; nothing is left half-copied: files land in a temporary folder first.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$here/sample"
src="${1:-$here/../../shared/sample-data}"
src="$(cd "$src" 2>/dev/null && pwd || echo "$src")"
published="https://raw.githubusercontent.com/gml16/rl-medical/master/src/data"

sums="$here/SHA256SUMS.brain"
tmp="$(mktemp -d "$here/.fetch.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/brain/images" "$tmp/brain/landmarks"

if [ -d "$src/brain" ]; then
  echo "fetch-sample: copying from $src"
  cp "$src"/brain/images/*.nii.gz "$tmp/brain/images/"
  cp "$src"/brain/landmarks/*.txt "$tmp/brain/landmarks/"
else
  echo "fetch-sample: no local copy at $src; downloading from the published repository"
  while read -r _ path; do
    name="$(basename "$path")"
    case "$path" in
      images/*) url="$published/images/$name" ;;
      landmarks/*) url="$published/landmarks/$name" ;;
      *) continue ;;
    esac
    curl -fsSL --retry 2 -o "$tmp/brain/$path" "$url" || { echo "fetch-sample: could not download $url" >&2; exit 1; }
  done < "$sums"
fi

(cd "$tmp/brain" && sha256sum --quiet -c "$sums") || { echo "fetch-sample: checksum mismatch (see above); nothing written" >&2; exit 1; }
(cd "$tmp/brain" && ls images/*.nii.gz > image_files.txt && ls landmarks/*.txt > landmark_files.txt)
cp "$sums" "$tmp/brain/SHA256SUMS"
rm -rf "$dest"
mkdir -p "$dest"
mv "$tmp/brain" "$dest/brain"
echo "fetch-sample: $(wc -l < "$dest/brain/image_files.txt") scans verified in $dest/brain"
echo "  image list:    $dest/brain/image_files.txt"
echo "  landmark list: $dest/brain/landmark_files.txt"
