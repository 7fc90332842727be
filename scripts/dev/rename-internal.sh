#!/usr/bin/env bash
# rename-internal.sh: give every non-static internal function of the libraries its part's prefix
# (vt_<part>_...), as the project's naming rule asks. Mechanical and idempotent (word-bounded
# sed over the C sources, headers and docs); re-run it after merging a branch that still uses an
# old name. `scripts/dev/rename-internal.sh --check [BUILD_DIR]` lists the global symbols of the
# built static libraries that still lack the vt_ prefix (empty output: nothing left to rename).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "${1:-}" = --check ]; then
  build=${2:-build}
  nm --defined-only "$build"/libvitrine.a "$build"/libvitrine-trust.a 2>/dev/null |
    awk 'NF == 3 && $2 ~ /[TDBR]/ && $3 !~ /^vt_/ {print $3}' | sort -u
  exit 0
fi

renames=(
  # lib/modrt (pe_internal.h)
  pe_directory:vt_modrt_pe_directory
  pe_load:vt_modrt_pe_load
  pe_open:vt_modrt_pe_open
  pe_rva_to_offset:vt_modrt_pe_rva_to_offset
  pe_parse_delayed_imports:vt_modrt_pe_parse_delayed_imports
  pe_parse_exports:vt_modrt_pe_parse_exports
  pe_parse_imports:vt_modrt_pe_parse_imports
  pe_parse_resources:vt_modrt_pe_parse_resources
  pe_parse_certificates:vt_modrt_pe_parse_certificates
  # lib/tlog (tlog_internal.h, reader_internal.h)
  tlog_edge_root:vt_tlog_edge_root
  tlog_perfect_root:vt_tlog_perfect_root
  tlog_reader_tile:vt_tlog_reader_tile
  tlog_tile_hash_up:vt_tlog_tile_hash_up
  tlog_tile_width:vt_tlog_tile_width
  tlog_ed25519_sign:vt_tlog_ed25519_sign
  tlog_ed25519_verify:vt_tlog_ed25519_verify
  tlog_is_unicode_space:vt_tlog_is_unicode_space
  tlog_parse_decimal:vt_tlog_parse_decimal
  tlog_utf8_next:vt_tlog_utf8_next
  tlog_valid_key_name:vt_tlog_valid_key_name
  # lib/distrib (distrib_internal.h)
  distrib_cached_entry:vt_distrib_cached_entry
  distrib_read_installed_bundle:vt_distrib_read_installed_bundle
  distrib_remove_dir:vt_distrib_remove_dir
  distrib_mkdirs:vt_distrib_mkdirs
  distrib_install:vt_distrib_install
  distrib_read_trusted_checkpoint:vt_distrib_read_trusted_checkpoint
  distrib_write_trusted_checkpoint:vt_distrib_write_trusted_checkpoint
  distrib_add_rule_entry:vt_distrib_add_rule_entry
  distrib_finish_compiled:vt_distrib_finish_compiled
)

# Where each old name is the internal function's: its part's folder for pe_* (lib/scan/entrypoint.c
# has a static pe_rva_to_offset of its own), the whole tree for the others.
for r in "${renames[@]}"; do
  old=${r%%:*} new=${r#*:}
  case $old in
    pe_*) where=('lib/modrt/*.[ch]') ;;
    *) where=('lib/*.[ch]' 'cli/*.[ch]' 'server/*.[ch]' 'tests/*.[ch]' 'fuzz/*.[ch]' 'bench/*.[ch]'
              'include/*.h' 'docs/*.md') ;;
  esac
  git ls-files -z -- "${where[@]}" | xargs -0 grep -lw -- "$old" 2>/dev/null |
    xargs -r sed -i "s/\\b$old\\b/$new/g" || true  # grep finds none once renamed
done
