using Microsoft.CodeAnalysis;

namespace InteropGuard
{
    /// <summary>Every diagnostic InteropGuard reports. Ids are public contract: never renumber.</summary>
    internal static class Descriptors
    {
        internal const string HelpLinkBase = "https://github.com/InteropGuard/InteropGuard/blob/main/docs/rules/";

        internal static class Categories
        {
            internal const string Configuration = "Configuration";
            internal const string Lifetime = "Lifetime";
            internal const string Pinning = "Pinning";
            internal const string Ownership = "Ownership";
            internal const string Marshalling = "Marshalling";
            internal const string Callbacks = "Callbacks";
        }

        internal static string HelpLink(string id) => HelpLinkBase + id + ".md";

        /// <summary>IG0001: a malformed <c>interopguard.*</c> option. The rule that reads it falls back to its defaults.</summary>
        internal static readonly DiagnosticDescriptor MalformedOption = new DiagnosticDescriptor(
            id: "IG0001",
            title: "Malformed InteropGuard option",
            messageFormat: "The .editorconfig option '{0}' has a malformed entry '{1}': expected {2}; InteropGuard ignores this option and uses its defaults",
            category: Categories.Configuration,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "An interopguard.* option in .editorconfig could not be read. The rules fall back to their defaults until it is corrected.",
            helpLinkUri: HelpLink("IG0001"),
            customTags: WellKnownDiagnosticTags.CompilationEnd);

        /// <summary>IG3001: native memory from the allocation catalogue is not released on every path and does not escape.</summary>
        internal static readonly DiagnosticDescriptor NativeMemoryLeak = new DiagnosticDescriptor(
            id: "IG3001",
            title: "Native memory is not released on every path",
            messageFormat: "Native memory from '{0}' {1} is not released by '{2}' {3}",
            category: Categories.Ownership,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "Memory allocated by a native allocator is not collected by the GC. If it is neither released on every path (exceptional ones included) nor handed to an owner, it leaks for the lifetime of the process.",
            helpLinkUri: HelpLink("IG3001"));

        /// <summary>IG3007: a raw IntPtr handle from an acquire P/Invoke with a paired release is kept in a field instead of a SafeHandle.</summary>
        internal static readonly DiagnosticDescriptor RawHandleField = new DiagnosticDescriptor(
            id: "IG3007",
            title: "Native handle kept in a raw IntPtr field",
            messageFormat: "Field '{0}' keeps the raw handle from '{1}'; a SafeHandle whose ReleaseHandle calls '{2}' would make release, reference counting and finalization correct",
            category: Categories.Ownership,
            defaultSeverity: DiagnosticSeverity.Info,
            isEnabledByDefault: true,
            description: "A handle kept as IntPtr is released only if every Dispose path and the finalizer remember to, can be released while another thread still passes it to native code, and is recycled by the native library once released. A SafeHandle subclass releases it exactly once, counts the references the marshaller holds during calls and is finalized by the runtime.",
            helpLinkUri: HelpLink("IG3007"));
    }
}
