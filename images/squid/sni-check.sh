#!/bin/sh
# sni-check — Squid external ACL helper: does a tunnel's TLS SNI equal its
# CONNECT name? Squid writes one line per question:
#
#   <sni> <connect-host> <test>
#
# where <sni> is "-" when the ClientHello carried none, and <test> is
#   missing   OK when there is no SNI;
#   matches   OK when there is an SNI and it is the CONNECT name (DNS names
#             compare without regard to case);
# anything else is a configuration error (BH). Answers OK or ERR, one a line.
# Exact equality, not "both are allowlisted": with a suffix entry
# (.github.com) a tunnel to api.github.com can't carry SNI gist.github.com.
lower() { printf '%s' "$1" | tr 'A-Z' 'a-z'; }
while read -r sni host test rest; do
  case $test in
    missing)
      if [ "$sni" = "-" ] || [ -z "$sni" ]; then echo OK; else echo ERR; fi ;;
    matches)
      if [ "$sni" = "-" ] || [ -z "$sni" ] || [ -n "$rest" ]; then echo ERR
      elif [ "$sni" = "$host" ] || [ "$(lower "$sni")" = "$(lower "$host")" ]; then echo OK
      else echo ERR; fi ;;
    *)
      echo "BH message=unknown-test" ;;
  esac
done
