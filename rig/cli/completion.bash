# bash completion for rig (installed as share/bash-completion/completions/rig).
#
# Subcommands, options and option values come from the `rig … --help` of the rig being
# completed, so they never fall behind the command: CLI11 lists "Subcommands:" and "Options:"
# and shows the allowed values of an option as {a,b,c}. Tags come from `rig list`.

_rig_help() {
  "$_rig_cmd" "$@" --help 2>/dev/null
}

# Option names of a help text on stdin ("-h,--help" gives -h and --help).
_rig_help_options() {
  awk '/^[A-Za-z].*:$/ { in_opts = ($0 == "Options:") ; next }
       in_opts && /^ +-/ { print $1 }' | tr ',' '\n'
}

_rig_help_subcommands() {
  awk '/^[A-Za-z].*:$/ { in_subs = ($0 == "Subcommands:") ; next }
       in_subs && /^  [a-z]/ { print $1 }'
}

# The {a,b,c} values that the help text on stdin shows for option $1.
_rig_help_choices() {
  awk -v opt="$1" '/^ +-/ {
      n = split($1, names, ",")
      for (i = 1; i <= n; i++) if (names[i] == opt && match($0, /\{[^}]*\}/)) {
        print substr($0, RSTART + 1, RLENGTH - 2)
      }
    }' | tr ',' ' '
}

_rig() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  _rig_cmd=${COMP_WORDS[0]}
  COMPREPLY=()

  # The subcommand path so far (`run`, `bench up`), options and their values skipped.
  local path=() i word subs
  subs=$(_rig_help | _rig_help_subcommands)
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [[ $word != -* ]] && grep -qx -- "$word" <<<"$subs"; then
      path+=("$word")
      subs=$(_rig_help "${path[@]}" | _rig_help_subcommands)
    fi
  done
  local help
  help=$(_rig_help "${path[@]}")

  case $prev in
    --bench)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -X '!*.yaml' -- "$cur") $(compgen -f -X '!*.yml' -- "$cur")
        $(compgen -d -- "$cur"))
      return
      ;;
    --out)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -d -- "$cur"))
      return
      ;;
    --log-file | --junit | --json | --html)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur"))
      return
      ;;
    --tag)
      COMPREPLY=($(compgen -W "$("$_rig_cmd" list 2>/dev/null | awk '{ print $2 }' |
        tr ',' '\n' | sort -u)" -- "$cur"))
      return
      ;;
  esac
  if [[ $prev == -* ]]; then
    local choices
    choices=$(_rig_help_choices "$prev" <<<"$help")
    if [[ -n $choices ]]; then
      COMPREPLY=($(compgen -W "$choices" -- "$cur"))
      return
    fi
    # An option that takes a value (TEXT, INT, …) other than the above: nothing to offer.
    if awk -v opt="$prev" '/^ +-/ { n = split($1, names, ",");
         for (i = 1; i <= n; i++) if (names[i] == opt && $2 ~ /^[A-Z]/) found = 1 }
         END { exit !found }' <<<"$help"; then
      return
    fi
  fi

  if [[ $cur == -* ]]; then
    # The subcommand's options and the app's (--verbose, --log-file are accepted anywhere).
    COMPREPLY=($(compgen -W "$(_rig_help_options <<<"$help") $(_rig_help | _rig_help_options)" \
      -- "$cur"))
  elif [[ -n $subs ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  else
    # Scenario files and folders, results.json files.
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -X '!*.yaml' -- "$cur") $(compgen -f -X '!*.yml' -- "$cur")
      $(compgen -f -X '!*.json' -- "$cur") $(compgen -d -- "$cur"))
  fi
}

complete -F _rig rig
