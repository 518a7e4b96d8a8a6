using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// <c>[assembly: DisableRuntimeMarshalling]</c>: the runtime marshals nothing of the assembly's P/Invokes (a <c>bool</c>
    /// is one byte, <c>SetLastError</c> and <c>MarshalAs</c> do not apply), so the rules about the default marshalling say nothing.
    /// </summary>
    internal static class DisabledRuntimeMarshalling
    {
        /// <summary>Does the assembly carry <c>[assembly: DisableRuntimeMarshalling]</c>? Then SetLastError and MarshalAs do not apply.</summary>
        public static bool In(Compilation compilation)
            => compilation.Assembly.GetAttributes().Any(a => a.AttributeClass is { Name: "DisableRuntimeMarshallingAttribute" } type
                                                             && NamespaceNames.Is(type.ContainingNamespace, "System.Runtime.CompilerServices"));
    }
}
