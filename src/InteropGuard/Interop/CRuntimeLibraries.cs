using System;
using System.Collections.Immutable;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The C runtime and the POSIX system libraries split from it (<c>libc</c>, <c>libdl</c>, <c>libm</c>, <c>librt</c>,
    /// <c>libpthread</c>; Windows' <c>msvcrt</c>, <c>ucrtbase</c> and its <c>api-ms-win-crt-…</c> sets). Their functions
    /// are the ISO C and POSIX interfaces, which predate C's <c>bool</c>: a truth value is an <c>int</c>
    /// (<c>dlclose</c>, <c>isatty</c>, <c>pthread_equal</c>). The one exception, C23's <c>stdc_…</c> bit functions
    /// (<c>stdc_has_single_bit_ui</c> returns <c>bool</c>), is told by its name. macOS's <c>libSystem</c> is not here: it
    /// also re-exports libxpc and libdispatch, which return C <c>bool</c> (<c>xpc_dictionary_get_bool</c>).
    /// </summary>
    internal static class CRuntimeLibraries
    {
        // Normalized as NativeFunction.NormalizeLibrary does: lower case, no directory, no 'lib' prefix, no '.so…'/'.dll'.
        private static readonly ImmutableHashSet<string> Names = ImmutableHashSet.Create(
            StringComparer.Ordinal,
            "c", "dl", "m", "rt", "pthread", "msvcrt", "ucrtbase", "ucrtbased");

        /// <summary>Is <paramref name="normalized"/> one of the C runtime's libraries?</summary>
        public static bool Contains(string normalized)
            => Names.Contains(normalized) || normalized.StartsWith("api-ms-win-crt-", StringComparison.Ordinal);

        /// <summary>
        /// Does <paramref name="entryPoint"/> of a C runtime library return an <c>int</c> for a truth value: every ISO C and
        /// POSIX function but C23's <c>stdc_</c> bit utilities.
        /// </summary>
        public static bool ReturnsIntTruth(string entryPoint)
            => !entryPoint.StartsWith("stdc_", StringComparison.Ordinal);
    }
}
