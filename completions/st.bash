# bash completion for st, st-import, st-query, st-event, st-refmap, st-allocate, st-text and st-remind.
#
# The options come from the commands themselves, through their hidden
# --list-options (one option per line, "--opt=" when it takes a value), and
# the commands of st from "st --list-commands", so completion never drifts
# from the code. Segment, tag and batch names come from the database when it
# exists; completing never creates one.

# _st_db WORD...: the database the words name (--db, else $ST_DB, else
# ./st.db), printed if it is an existing file.
_st_db()
{
	local db= w prev=
	for w in "$@"; do
		[[ $prev == --db ]] && db=$w
		[[ $w == --db=* ]] && db=${w#--db=}
		prev=$w
	done
	[[ -z $db ]] && db=${ST_DB:-st.db}
	[[ $db != file:* && -f $db ]] && printf '%s\n' "$db"
}

# _st_words DIR DB WHAT: names from the database DB, using DIR's st-query.
_st_words()
{
	case $3 in
	segments)
		"${1}st-query" --db "$2" --segments -H 2>/dev/null | cut -d, -f1
		;;
	tags)
		"${1}st-query" --db "$2" -H "SELECT name FROM tags ORDER BY name" 2>/dev/null
		;;
	imports)
		"${1}st-query" --db "$2" -H \
		    "SELECT id FROM imports WHERE undone_at IS NULL ORDER BY id DESC" 2>/dev/null
		;;
	esac
}

# _st_complete CMD CUR PREV: complete an st, st-import or st-query command line.
_st_complete()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev= cmd dir= opt= pre= shortval= db w i
	local -a words=("${COMP_WORDS[@]:0:COMP_CWORD}") cand

	COMPREPLY=()
	(( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	cmd=${COMP_WORDS[0]}
	# Ask the commands beside the one typed when it was typed with a directory.
	[[ $cmd == */* ]] && dir=${cmd%/*}/
	cmd=${cmd##*/}

	if [[ $cmd == st ]]; then
		if (( COMP_CWORD == 1 )); then
			COMPREPLY=($(compgen -W "$("${dir}st" --list-commands 2>/dev/null) --help --version" \
			    -- "$cur"))
			return 0
		fi
		cmd=st-${COMP_WORDS[1]}
		words=("${words[@]:1}")
		(( COMP_CWORD == 2 )) && prev=
	fi
	case $cmd in
	st-import | st-query | st-event | st-refmap | st-allocate | st-text | st-remind) ;;
	*) return 0 ;;
	esac
	# The short options that take a value ("-d=" in --list-options).
	shortval=" $("${dir}$cmd" --list-options 2>/dev/null | sed -n 's/^\(-[[:alnum:]]\)=$/\1/p' |
	    tr '\n' ' ') "

	# Is cur the value of an option?  "--opt=value" arrives as the words
	# "--opt" "=" "value" with bash's default COMP_WORDBREAKS.
	if [[ $cur == = && $prev == --* ]]; then
		opt=$prev
		cur=
	elif [[ $prev == = ]] && (( COMP_CWORD > 1 )); then
		opt=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == --*=* ]]; then
		# One word when '=' is not in COMP_WORDBREAKS: keep "--opt=" in the replies.
		opt=${cur%%=*}
		pre=$opt=
		cur=${cur#*=}
	elif [[ $prev == --?* ]]; then
		"${dir}$cmd" --list-options 2>/dev/null | grep -qx -- "$prev=" && opt=$prev
	elif [[ $prev == -? && $shortval == *" $prev "* ]]; then
		opt=$prev
	fi

	if [[ -n $opt ]]; then
		case $cmd:$opt in
		*:--db | st-import:-r | st-import:--rejects | st-query:-o | st-query:--output | \
		    st-refmap:-r | st-refmap:--rejects | \
		    st-allocate:--turfs | st-allocate:--volunteers | st-allocate:--dimacs | \
		    st-text:--spool | st-text:--config | st-remind:--config)
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
			;;
		st-import:-d | st-import:--delimiter)
			# Quoted, so that the shell passes them on.
			cand=(, tab "'|'" "';'")
			for w in "${cand[@]}"; do
				[[ $w == "$cur"* ]] && COMPREPLY+=("$w")
			done
			;;
		st-import:--encoding)
			COMPREPLY=($(compgen -W "auto utf-8 cp1252" -- "$cur"))
			;;
		st-import:-k | st-import:--key)
			COMPREPLY=($(compgen -W "voter_id van_id phone email" -- "$cur"))
			;;
		st-import:--undo)
			db=$(_st_db "${words[@]}")
			[[ -n $db ]] && COMPREPLY=($(compgen -W "$(_st_words "$dir" "$db" imports)" -- "$cur"))
			;;
		st-query:-f | st-query:--format | st-allocate:-f | st-allocate:--format | \
		    st-text:-f | st-text:--format)
			COMPREPLY=($(compgen -W "csv tsv json table" -- "$cur"))
			;;
		st-refmap:-f | st-refmap:--format)
			COMPREPLY=($(compgen -W "csv tsv json table dot svg text" -- "$cur"))
			;;
		st-refmap:--by)
			COMPREPLY=($(compgen -W "direct reach active conversion" -- "$cur"))
			;;
		st-text:--channel)
			COMPREPLY=($(compgen -W "sms whatsapp" -- "$cur"))
			;;
		st-text:--transport)
			COMPREPLY=($(compgen -W "twilio file" -- "$cur"))
			;;
		st-query:--delete | st-query:--save)
			db=$(_st_db "${words[@]}")
			[[ -n $db ]] && COMPREPLY=($(compgen -W "$(_st_words "$dir" "$db" segments)" -- "$cur"))
			;;
		st-query:--tag | st-query:--not-tag)
			db=$(_st_db "${words[@]}")
			[[ -n $db ]] && COMPREPLY=($(compgen -W "$(_st_words "$dir" "$db" tags)" -- "$cur"))
			;;
		esac
		for i in "${!COMPREPLY[@]}"; do
			COMPREPLY[i]=$pre${COMPREPLY[i]}
		done
		return 0
	fi

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$("${dir}$cmd" --list-options 2>/dev/null |
		    sed 's/^\(-[[:alnum:]]\)=$/\1/')" -- "$cur"))
		# An "--opt=" waits for its value: no space after it.
		for w in "${COMPREPLY[@]}"; do
			if [[ $w == *= ]]; then
				compopt -o nospace 2>/dev/null
				break
			fi
		done
	elif [[ $cmd == st-query ]]; then
		# The operands: @SEGMENT, or SQL (nothing to offer).
		if [[ $cur == @* ]]; then
			db=$(_st_db "${words[@]}")
			[[ -n $db ]] && COMPREPLY=($(compgen -P @ -W "$(_st_words "$dir" "$db" segments)" \
			    -- "${cur#@}"))
		fi
	elif [[ $cmd == st-event || $cmd == st-refmap || $cmd == st-text ]]; then
		# The first operand is a subcommand: the lines of --list-options without a dash.
		local w n=0
		for w in "${words[@]:1:COMP_CWORD-1}"; do
			[[ $w != -* ]] && n=$((n + 1))
		done
		(( n == 0 )) && COMPREPLY=($(compgen -W "$("${dir}$cmd" --list-options \
		    2>/dev/null | grep -v '^-')" -- "$cur"))
	elif [[ $cmd == st-allocate ]]; then
		# No operands.
		:
	else
		# st-import's operands are files.
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
	return 0
}

complete -F _st_complete st st-import st-query st-event st-refmap st-allocate st-text st-remind
