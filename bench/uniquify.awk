# Appends SUFFIX (awk -v suffix=-c7) to every metadata.name of a Kubernetes
# YAML stream, so that N copies of a corpus hold N distinct objects.
# Block style at any indent (top-level objects, items of `kind: List`, pod
# templates) and the flow style `metadata: {` ... `name: "x",` ... `}`.
# Plain, single- and double-quoted values; everything else is copied as is.
# With -v outdir=DIR, each input FILE is written to DIR/FILE instead of
# stdout (run it from the corpus root with relative names; DIR's
# subdirectories must exist). Used by bench/scan.sh.

function indent_of(s) { match(s, /^ */); return RLENGTH }

function add_suffix(line,    pre, val, q) {
  # line is `<indent>name: <value>[,]`; keeps quotes and a trailing comma.
  match(line, /^ *name:[ \t]*/)
  pre = substr(line, 1, RLENGTH)
  val = substr(line, RLENGTH + 1)
  if (val == "" || val ~ /^[#&*|>]/) return line
  comma = ""
  if (val ~ /,[ \t]*$/) { sub(/,[ \t]*$/, "", val); comma = "," }
  sub(/[ \t]+$/, "", val)
  q = substr(val, length(val), 1)
  if ((q == "\"" || q == "'") && length(val) >= 2 && substr(val, 1, 1) == q)
    return pre substr(val, 1, length(val) - 1) suffix q comma
  return pre val suffix comma
}

function emit(s) {
  if (outdir == "") print s
  else print s > (outdir "/" FILENAME)
}

FNR == 1 {
  if (outdir != "" && prev != "") close(outdir "/" prev)
  prev = FILENAME; in_meta = 0; flow = 0
}

{
  line = $0
  if (flow) {
    if (line ~ /^ *name:[ \t]*["']?[^ ]/) line = add_suffix(line)
    if (line ~ /\}/) flow = 0
    emit(line)
    next
  }
  if (in_meta && line !~ /^[ \t]*(#.*)?$/) {
    ind = indent_of(line)
    if (ind <= meta_ind) {
      in_meta = 0
    } else {
      if (child_ind < 0) child_ind = ind
      if (ind == child_ind && line ~ /^ *name:[ \t]/) line = add_suffix(line)
    }
  }
  if (line ~ /^ *(- )?metadata:[ \t]*(#.*)?$/) {
    in_meta = 1
    meta_ind = indent_of(line)
    if (line ~ /^ *- /) meta_ind += 2
    child_ind = -1
  } else if (line ~ /^ *(- )?metadata:[ \t]*\{[ \t]*$/) {
    flow = 1
  }
  emit(line)
}
