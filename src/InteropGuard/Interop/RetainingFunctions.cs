using System;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// "Retaining" native functions (DESIGN.md, Rule catalogue): those that keep a pointer, handle or callback after
    /// they return. Known from <c>interopguard.retaining_functions</c>, from an <c>OVERLAPPED</c>/<c>NativeOverlapped*</c>
    /// parameter (except the functions that wait for or cancel an operation, which take it only to name the operation),
    /// or from registration-style names; <c>interopguard.non_retaining_functions</c> overrides both heuristics.
    /// </summary>
    internal static class RetainingFunctions
    {
        public static bool IsRetaining(NativeFunction function, InteropOptions options)
        {
            var method = function.Method;
            if (options.RetainingFunctions.Contains(method, function.EntryPoint))
            {
                return true;
            }

            if (options.NonRetainingFunctions.Contains(method, function.EntryPoint))
            {
                return false;
            }

            if (method.Parameters.Any(p => IsOverlapped(p.Type)))
            {
                return !OperationCompletion.IsCompletionFunction(function.EntryPoint);
            }

            return HasRegistrationName(function.EntryPoint);
        }

        internal static bool HasRegistrationName(string name)
        {
            // Registration-style names: set...callback, register, add...handler, hook, subscribe, install, begin..., ...async,
            // submit, enqueue.
            var words = NameWords.Of(name);
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
