/* tables.c: the declarations of yara 4.2.3's built-in modules, transcribed from libyara's
 * begin_declarations blocks (libyara/modules/<name>/<name>.c) and checked against Debian's
 * yara 4.2.3 both ways: every field and overload here compiles there, and probing yara's
 * compiler with every identifier found in libyara.so.9 finds no field or overload missing here.
 *
 * Notation (read by declare.c): words separated by blanks. A word starting with ':' sets what
 * the following plain words declare:
 *   :i :f :s        integer, float, string fields
 *   :I :F :S        arrays of integers, floats, strings
 *   :Di :Df :Ds     dictionaries of integers, floats, strings
 *   :{ NAME  :[ NAME  :< NAME   begin a structure, an array of structures, a dictionary of
 *                   structures; :} ends the innermost one
 *   :fn NAME ARGS RESULT   a function overload; ARGS is yara's format ('-' for none)
 */
#include <stddef.h>

#include "tables.h"

static const char pe[] =
    ":i MACHINE_UNKNOWN MACHINE_AM33 MACHINE_AMD64 MACHINE_ARM MACHINE_ARMNT MACHINE_ARM64"
    " MACHINE_EBC MACHINE_I386 MACHINE_IA64 MACHINE_M32R MACHINE_MIPS16 MACHINE_MIPSFPU"
    " MACHINE_MIPSFPU16 MACHINE_POWERPC MACHINE_POWERPCFP MACHINE_R4000 MACHINE_SH3"
    " MACHINE_SH3DSP MACHINE_SH4 MACHINE_SH5 MACHINE_THUMB MACHINE_WCEMIPSV2"
    " MACHINE_TARGET_HOST MACHINE_R3000 MACHINE_R10000 MACHINE_ALPHA MACHINE_SH3E"
    " MACHINE_ALPHA64 MACHINE_AXP64 MACHINE_TRICORE MACHINE_CEF MACHINE_CEE"
    " SUBSYSTEM_UNKNOWN SUBSYSTEM_NATIVE SUBSYSTEM_WINDOWS_GUI SUBSYSTEM_WINDOWS_CUI"
    " SUBSYSTEM_OS2_CUI SUBSYSTEM_POSIX_CUI SUBSYSTEM_NATIVE_WINDOWS SUBSYSTEM_WINDOWS_CE_GUI"
    " SUBSYSTEM_EFI_APPLICATION SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER SUBSYSTEM_EFI_RUNTIME_DRIVER"
    " SUBSYSTEM_EFI_ROM_IMAGE SUBSYSTEM_XBOX SUBSYSTEM_WINDOWS_BOOT_APPLICATION"
    " HIGH_ENTROPY_VA DYNAMIC_BASE FORCE_INTEGRITY NX_COMPAT NO_ISOLATION NO_SEH NO_BIND"
    " APPCONTAINER WDM_DRIVER GUARD_CF TERMINAL_SERVER_AWARE"
    " RELOCS_STRIPPED EXECUTABLE_IMAGE LINE_NUMS_STRIPPED LOCAL_SYMS_STRIPPED AGGRESIVE_WS_TRIM"
    " LARGE_ADDRESS_AWARE BYTES_REVERSED_LO MACHINE_32BIT DEBUG_STRIPPED REMOVABLE_RUN_FROM_SWAP"
    " NET_RUN_FROM_SWAP SYSTEM DLL UP_SYSTEM_ONLY BYTES_REVERSED_HI"
    " IMAGE_DIRECTORY_ENTRY_EXPORT IMAGE_DIRECTORY_ENTRY_IMPORT IMAGE_DIRECTORY_ENTRY_RESOURCE"
    " IMAGE_DIRECTORY_ENTRY_EXCEPTION IMAGE_DIRECTORY_ENTRY_SECURITY"
    " IMAGE_DIRECTORY_ENTRY_BASERELOC IMAGE_DIRECTORY_ENTRY_DEBUG"
    " IMAGE_DIRECTORY_ENTRY_ARCHITECTURE IMAGE_DIRECTORY_ENTRY_COPYRIGHT"
    " IMAGE_DIRECTORY_ENTRY_GLOBALPTR IMAGE_DIRECTORY_ENTRY_TLS IMAGE_DIRECTORY_ENTRY_LOAD_CONFIG"
    " IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT IMAGE_DIRECTORY_ENTRY_IAT"
    " IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR"
    " IMAGE_NT_OPTIONAL_HDR32_MAGIC IMAGE_NT_OPTIONAL_HDR64_MAGIC IMAGE_ROM_OPTIONAL_HDR_MAGIC"
    " SECTION_NO_PAD SECTION_CNT_CODE SECTION_CNT_INITIALIZED_DATA"
    " SECTION_CNT_UNINITIALIZED_DATA SECTION_LNK_OTHER SECTION_LNK_INFO SECTION_LNK_REMOVE"
    " SECTION_LNK_COMDAT SECTION_NO_DEFER_SPEC_EXC SECTION_GPREL SECTION_MEM_FARDATA"
    " SECTION_MEM_PURGEABLE SECTION_MEM_16BIT SECTION_MEM_LOCKED SECTION_MEM_PRELOAD"
    " SECTION_ALIGN_1BYTES SECTION_ALIGN_2BYTES SECTION_ALIGN_4BYTES SECTION_ALIGN_8BYTES"
    " SECTION_ALIGN_16BYTES SECTION_ALIGN_32BYTES SECTION_ALIGN_64BYTES SECTION_ALIGN_128BYTES"
    " SECTION_ALIGN_256BYTES SECTION_ALIGN_512BYTES SECTION_ALIGN_1024BYTES"
    " SECTION_ALIGN_2048BYTES SECTION_ALIGN_4096BYTES SECTION_ALIGN_8192BYTES SECTION_ALIGN_MASK"
    " SECTION_LNK_NRELOC_OVFL SECTION_MEM_DISCARDABLE SECTION_MEM_NOT_CACHED"
    " SECTION_MEM_NOT_PAGED SECTION_MEM_SHARED SECTION_MEM_EXECUTE SECTION_MEM_READ"
    " SECTION_MEM_WRITE SECTION_SCALE_INDEX"
    " RESOURCE_TYPE_CURSOR RESOURCE_TYPE_BITMAP RESOURCE_TYPE_ICON RESOURCE_TYPE_MENU"
    " RESOURCE_TYPE_DIALOG RESOURCE_TYPE_STRING RESOURCE_TYPE_FONTDIR RESOURCE_TYPE_FONT"
    " RESOURCE_TYPE_ACCELERATOR RESOURCE_TYPE_RCDATA RESOURCE_TYPE_MESSAGETABLE"
    " RESOURCE_TYPE_GROUP_CURSOR RESOURCE_TYPE_GROUP_ICON RESOURCE_TYPE_VERSION"
    " RESOURCE_TYPE_DLGINCLUDE RESOURCE_TYPE_PLUGPLAY RESOURCE_TYPE_VXD RESOURCE_TYPE_ANICURSOR"
    " RESOURCE_TYPE_ANIICON RESOURCE_TYPE_HTML RESOURCE_TYPE_MANIFEST"
    " IMAGE_DEBUG_TYPE_UNKNOWN IMAGE_DEBUG_TYPE_COFF IMAGE_DEBUG_TYPE_CODEVIEW"
    " IMAGE_DEBUG_TYPE_FPO IMAGE_DEBUG_TYPE_MISC IMAGE_DEBUG_TYPE_EXCEPTION"
    " IMAGE_DEBUG_TYPE_FIXUP IMAGE_DEBUG_TYPE_OMAP_TO_SRC IMAGE_DEBUG_TYPE_OMAP_FROM_SRC"
    " IMAGE_DEBUG_TYPE_BORLAND IMAGE_DEBUG_TYPE_RESERVED10 IMAGE_DEBUG_TYPE_CLSID"
    " IMAGE_DEBUG_TYPE_VC_FEATURE IMAGE_DEBUG_TYPE_POGO IMAGE_DEBUG_TYPE_ILTCG"
    " IMAGE_DEBUG_TYPE_MPX IMAGE_DEBUG_TYPE_REPRO"
    " IMPORT_DELAYED IMPORT_STANDARD IMPORT_ANY"
    " is_pe machine number_of_sections timestamp pointer_to_symbol_table number_of_symbols"
    " size_of_optional_header characteristics entry_point entry_point_raw image_base"
    " number_of_rva_and_sizes number_of_version_infos"
    " :Ds version_info"
    " :[ version_info_list :s key value :}"
    " :i opthdr_magic size_of_code size_of_initialized_data size_of_uninitialized_data"
    " base_of_code base_of_data section_alignment file_alignment"
    " :{ linker_version :i major minor :}"
    " :{ os_version :i major minor :}"
    " :{ image_version :i major minor :}"
    " :{ subsystem_version :i major minor :}"
    " :i win32_version_value size_of_image size_of_headers checksum"
    " :fn calculate_checksum - i"
    " :i subsystem dll_characteristics size_of_stack_reserve size_of_stack_commit"
    " size_of_heap_reserve size_of_heap_commit loader_flags"
    " :[ data_directories :i virtual_address size :}"
    " :[ sections :s name full_name :i characteristics virtual_address virtual_size"
    " raw_data_offset raw_data_size pointer_to_relocations pointer_to_line_numbers"
    " number_of_relocations number_of_line_numbers :}"
    " :{ overlay :i offset size :}"
    " :{ rich_signature :i offset length key :s raw_data clear_data"
    " :fn version i i :fn version ii i :fn toolid i i :fn toolid ii i :}"
    " :fn imphash - s"
    " :fn section_index s i :fn section_index i i"
    " :fn exports s i :fn exports r i :fn exports i i"
    " :fn exports_index s i :fn exports_index i i :fn exports_index r i"
    " :fn imports ss i :fn imports si i :fn imports s i :fn imports rr i"
    " :fn imports iss i :fn imports isi i :fn imports is i :fn imports irr i"
    " :fn locale i i :fn language i i :fn is_dll - i :fn is_32bit - i :fn is_64bit - i"
    " :i number_of_imports number_of_imported_functions number_of_delayed_imports"
    " number_of_delayed_imported_functions number_of_exports"
    " :s dll_name :i export_timestamp"
    " :[ export_details :i offset :s name forward_name :i ordinal :}"
    " :[ import_details :s library_name :i number_of_functions"
    " :[ functions :s name :i ordinal :} :}"
    " :[ delay_import_details :s library_name :i number_of_function"
    " :[ functions :s name :i ordinal :} :}"
    " :i resource_timestamp"
    " :{ resource_version :i major minor :}"
    " :[ resources :i rva offset length type id language :s type_string name_string"
    " language_string :}"
    " :i number_of_resources :s pdb_path"
    " :[ signatures :s thumbprint issuer subject :i version :s algorithm algorithm_oid serial"
    " :i not_before not_after"
    " :fn valid_on i i :}"
    " :i number_of_signatures"
    " :fn rva_to_offset i i";

static const char elf[] =
    ":i ET_NONE ET_REL ET_EXEC ET_DYN ET_CORE"
    " EM_NONE EM_M32 EM_SPARC EM_386 EM_68K EM_88K EM_860 EM_MIPS EM_MIPS_RS3_LE EM_PPC"
    " EM_PPC64 EM_ARM EM_X86_64 EM_AARCH64"
    " SHT_NULL SHT_PROGBITS SHT_SYMTAB SHT_STRTAB SHT_RELA SHT_HASH SHT_DYNAMIC SHT_NOTE"
    " SHT_NOBITS SHT_REL SHT_SHLIB SHT_DYNSYM"
    " SHF_WRITE SHF_ALLOC SHF_EXECINSTR"
    " type machine entry_point number_of_sections sh_offset sh_entry_size"
    " number_of_segments ph_offset ph_entry_size"
    " :[ sections :i type flags address :s name :i size offset :}"
    " :i PT_NULL PT_LOAD PT_DYNAMIC PT_INTERP PT_NOTE PT_SHLIB PT_PHDR PT_TLS PT_GNU_EH_FRAME"
    " PT_GNU_STACK"
    " DT_NULL DT_NEEDED DT_PLTRELSZ DT_PLTGOT DT_HASH DT_STRTAB DT_SYMTAB DT_RELA DT_RELASZ"
    " DT_RELAENT DT_STRSZ DT_SYMENT DT_INIT DT_FINI DT_SONAME DT_RPATH DT_SYMBOLIC DT_REL"
    " DT_RELSZ DT_RELENT DT_PLTREL DT_DEBUG DT_TEXTREL DT_JMPREL DT_BIND_NOW DT_INIT_ARRAY"
    " DT_FINI_ARRAY DT_INIT_ARRAYSZ DT_FINI_ARRAYSZ DT_RUNPATH DT_FLAGS DT_ENCODING"
    " STT_NOTYPE STT_OBJECT STT_FUNC STT_SECTION STT_FILE STT_COMMON STT_TLS"
    " STB_LOCAL STB_GLOBAL STB_WEAK PF_X PF_W PF_R"
    " :[ segments :i type flags offset virtual_address physical_address file_size memory_size"
    " alignment :}"
    " :i dynamic_section_entries"
    " :[ dynamic :i type val :}"
    " :i symtab_entries"
    " :[ symtab :s name :i value size type bind shndx :}"
    " :i dynsym_entries"
    " :[ dynsym :s name :i value size type bind shndx :}";

static const char math[] =
    ":f MEAN_BYTES"
    " :fn in_range fff i"
    " :fn deviation iif f :fn deviation sf f"
    " :fn mean ii f :fn mean s f"
    " :fn serial_correlation ii f :fn serial_correlation s f"
    " :fn monte_carlo_pi ii f :fn monte_carlo_pi s f"
    " :fn entropy ii f :fn entropy s f"
    " :fn min ii i :fn max ii i :fn to_number b i :fn abs i i"
    " :fn count i i :fn count iii i :fn percentage i f :fn percentage iii f"
    " :fn mode - i :fn mode ii i";

static const char hash[] =
    ":fn md5 ii s :fn md5 s s :fn sha1 ii s :fn sha1 s s :fn sha256 ii s :fn sha256 s s"
    " :fn checksum32 ii i :fn checksum32 s i :fn crc32 ii i :fn crc32 s i";

static const char time_[] = ":fn now - i";

static const char console[] =
    ":fn log s i :fn log ss i :fn log i i :fn log si i :fn log f i :fn log sf i"
    " :fn hex i i :fn hex si i";

static const char cuckoo[] =
    ":{ network :fn dns_lookup r i :fn http_get r i :fn http_post r i :fn http_request r i"
    " :fn http_user_agent r i :fn host r i :fn tcp ri i :fn udp ri i :}"
    " :{ registry :fn key_access r i :}"
    " :{ filesystem :fn file_access r i :}"
    " :{ sync :fn mutex r i :}";

static const char magic[] = ":fn mime_type - s :fn type - s";

static const char tests[] =
    ":{ constants :i one two :s foo empty :}"
    " :{ undefined :i i :f f :}"
    " :s module_data"
    " :I integer_array :S string_array :Di integer_dict :Ds string_dict"
    " :[ struct_array :i i :s s :}"
    " :< struct_dict :i i :s s :}"
    " :< empty_struct_dict :i unused :}"
    " :[ empty_struct_array :[ struct_array :s unused :} :< struct_dict :s unused :} :}"
    " :fn match rs i :fn isum ii i :fn isum iii i :fn fsum ff f :fn fsum fff f"
    " :fn length s i :fn empty - s :fn foobar i s";

static const char dotnet[] =
    ":i is_dotnet :s version module_name"
    " :[ streams :s name :i offset size :}"
    " :i number_of_streams"
    " :S guids :i number_of_guids"
    " :[ resources :i offset length :s name :}"
    " :i number_of_resources"
    " :[ assembly_refs :{ version :i major minor build_number revision_number :}"
    " :s public_key_or_token name :}"
    " :i number_of_assembly_refs"
    " :{ assembly :{ version :i major minor build_number revision_number :} :s name culture :}"
    " :S modulerefs :i number_of_modulerefs"
    " :S user_strings :i number_of_user_strings"
    " :s typelib"
    " :S constants :i number_of_constants"
    " :I field_offsets :i number_of_field_offsets";

#include "tables_extra.inc"

static const vt_module_table modules[] = {
    {"console", console}, {"cuckoo", cuckoo}, {"dex", dex},     {"dotnet", dotnet},
    {"elf", elf},         {"hash", hash},     {"macho", macho}, {"magic", magic},
    {"math", math},       {"pe", pe},         {"tests", tests}, {"time", time_},
};

const vt_module_table *vt_module_tables(size_t *count)
{
    *count = sizeof modules / sizeof modules[0];
    return modules;
}
