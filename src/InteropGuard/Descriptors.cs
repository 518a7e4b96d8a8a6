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

        /// <summary>IG3006: a raw SafeHandle value used without DangerousAddRef/DangerousRelease, or an AddRef not released on every path.</summary>
        internal static readonly DiagnosticDescriptor SafeHandleRefCount = new DiagnosticDescriptor(
            id: "IG3006",
            title: "SafeHandle reference counting is broken",
            messageFormat: "{0}: {1}",
            category: Categories.Ownership,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "A value from SafeHandle.DangerousGetHandle() that reaches native code or is stored must be protected by DangerousAddRef/DangerousRelease, or another thread may dispose the handle and the operating system may reuse the value. A DangerousAddRef that is not released on every path keeps the handle open for good.",
            helpLinkUri: HelpLink("IG3006"));
    }
}
