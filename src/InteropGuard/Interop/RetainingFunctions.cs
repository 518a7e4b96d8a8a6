using System;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>Why a native function counts as keeping what it is given.</summary>
    internal enum RetainingReason
    {
        /// <summary>It does not (or an option says it does not).</summary>
        None,

        /// <summary><c>interopguard.retaining_functions</c> names it.</summary>
        Option,

        /// <summary>It takes an <c>OVERLAPPED</c>: asynchronous I/O completes after the call returns.</summary>
        Overlapped,

        /// <summary>Its name reads as a registration (set…callback, register, hook, subscribe, …).</summary>
        Name,
    }

    /// <summary>
    /// "Retaining" native functions (DESIGN.md, Rule catalogue): those that keep a pointer, handle or callback after
    /// they return. Known from <c>interopguard.retaining_functions</c>, from an <c>OVERLAPPED</c>/<c>NativeOverlapped*</c>
    /// parameter (except the functions that wait for or cancel an operation, which take it only to name the operation),
    /// or from registration-style names; <c>interopguard.non_retaining_functions</c> overrides both heuristics.
    /// </summary>
    internal static class RetainingFunctions
    {
        /// <summary>
        /// Whether, and why, the function keeps what it is given — the one answer every rule reads, in DESIGN.md's order of
        /// precedence: the options (<c>retaining_functions</c>, then <c>non_retaining_functions</c>, which overrides every
        /// heuristic), an OVERLAPPED parameter, a registration-style name.
        /// </summary>
        public static RetainingReason Why(NativeFunction function, InteropOptions options)
        {
            var method = function.Method;
            if (options.RetainingFunctions.Contains(method, function.EntryPoint))
            {
                return RetainingReason.Option;
            }

            if (options.NonRetainingFunctions.Contains(method, function.EntryPoint))
            {
                return RetainingReason.None;
            }

            if (method.Parameters.Any(p => IsOverlapped(p.Type)))
            {
                return OperationCompletion.IsCompletionFunction(function.EntryPoint) ? RetainingReason.None : RetainingReason.Overlapped;
            }

            return HasRegistrationName(function.EntryPoint) ? RetainingReason.Name : RetainingReason.None;
        }

        public static bool IsRetaining(NativeFunction function, InteropOptions options) => Why(function, options) != RetainingReason.None;

        private static readonly string[] MemoryWords = { "buf", "mem", "block", "region" };

        /// <summary>
        /// A registration-style name alone is weak evidence for memory: registerCameras (image registration), a queue
        /// submit of descriptor arrays, an event registration given a typed descriptor struct all read what they are given
        /// during the call. A pointer counts only when the name also speaks of a buffer or memory (register_buffers,
        /// EnqueueWriteBuffer, MemcpyAsync, register_block), or when the function registers a callback and the pointer is untyped
        /// (<c>void*</c>, <c>byte*</c>, <c>IntPtr</c>): the shape of callback user data or of a buffer the callback fills.
        /// </summary>
        public static bool NameKeepsPointer(NativeFunction function, IParameterSymbol parameter)
        {
            if (NameWords.Of(function.EntryPoint).Any(word => MemoryWords.Any(memory => word.StartsWith(memory, StringComparison.Ordinal))))
            {
                return true;
            }

            var type = parameter.Type;
            var untyped = type.SpecialType == SpecialType.System_IntPtr || type.SpecialType == SpecialType.System_UIntPtr
                          || (type is IPointerTypeSymbol pointer && (pointer.PointedAtType.SpecialType == SpecialType.System_Void
                                                                      || pointer.PointedAtType.SpecialType == SpecialType.System_Byte
                                                                      || pointer.PointedAtType.SpecialType == SpecialType.System_SByte));
            return untyped && parameter.RefKind == RefKind.None
                   && function.Method.Parameters.Any(p => p.Type.TypeKind == TypeKind.Delegate || p.Type.TypeKind == TypeKind.FunctionPointer);
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

        /// <summary>An <c>OVERLAPPED</c> or <c>NativeOverlapped</c>, by value or through a pointer.</summary>
        public static bool IsOverlapped(ITypeSymbol type)
        {
            var element = type is IPointerTypeSymbol pointer ? pointer.PointedAtType : type;
            return element.Name == "NativeOverlapped" || element.Name == "OVERLAPPED";
        }
    }
}
