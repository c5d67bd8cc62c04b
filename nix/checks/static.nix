# The binary is statically linked and its closure is itself alone.
{
  runCommand,
  file,
  writeClosure,
  mote,
}:
runCommand "mote-static-check" { nativeBuildInputs = [ file ]; } ''
  bin=${mote}/bin/mote
  info=$(file -b "$bin")
  echo "$info"
  case "$info" in
    *"statically linked"* | *"static-pie linked"*) ;;
    *) echo "not a static binary: $info" >&2; exit 1 ;;
  esac
  closure=$(grep -v '^${mote}$' ${writeClosure [ mote ]} || true)
  if [ -n "$closure" ]; then
    echo "mote references other store paths:" >&2
    echo "$closure" >&2
    exit 1
  fi
  echo "$(stat -c %s "$bin") bytes, no references" > $out
''
