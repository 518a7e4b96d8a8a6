using System;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// "Retaining" native functions (DESIGN.md, Rule catalogue): those that keep a pointer, handle or callback after
    /// they return. Known from <c>interopguard.retaining_functions</c>, from an <c>OVERLAPPED</c>/<c>NativeOverlapped*</c>
    /// parameter, or from registration-style names; <c>interopguard.non_retaining_functions</c> overrides the names.
    /// </summary>
    internal static class RetainingFunctions
    {
        // Word parts of registration-style names: set...callback, register, add...handler, hook, subscribe, install,
        // begin..., ...async, submit, enqueue. Names are split at '_' and lower-to-upper case changes.
        private static readonly Regex Words = new Regex("[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", RegexOptions.CultureInvariant);

        public static bool IsRetaining(NativeFunction function, InteropOptions options)
        {
            var method = function.Method;
            if (options.RetainingFunctions.Contains(method, function.EntryPoint))
            {
                return true;
            }

            if (method.Parameters.Any(p => IsOverlapped(p.Type)))
            {
                return true;
            }

            if (options.NonRetainingFunctions.Contains(method, function.EntryPoint))
            {
                return false;
            }

            return HasRegistrationName(function.EntryPoint);
        }

        internal static bool HasRegistrationName(string name)
        {
            var words = Words.Matches(name).Cast<Match>().Select(m => m.Value.ToLowerInvariant()).ToList();
            bool Has(string word) => words.Contains(word);
            return (Has("set") && (Has("callback") || Has("cb") || Has("handler") || Has("hook")))
                   || words.Any(w => w.StartsWith("register", StringComparison.Ordinal) && !w.StartsWith("registered", StringComparison.Ordinal))
                   || (Has("add") && (Has("handler") || Has("listener") || Has("callback")))
                   || Has("hook") || Has("subscribe") || Has("install")
                   || (words.Count > 0 && (words[0] == "begin" || words[words.Count - 1] == "async"))
                   || Has("submit") || Has("enqueue");
        }

        private static bool IsOverlapped(ITypeSymbol type)
        {
            var element = type is IPointerTypeSymbol pointer ? pointer.PointedAtType : type;
            return element.Name == "NativeOverlapped" || element.Name == "OVERLAPPED";
        }
    }
}
