using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>Why a native function counts as keeping what it is given.</summary>
    internal enum RetainingReason
    {
        /// <summary>It does not (or an option says it does not).</summary>
        None,

        /// <summary><c>interopguard.retaining_functions</c> names it (and the parameter, when it names parameters).</summary>
        Option,

        /// <summary>It takes an <c>OVERLAPPED</c>: asynchronous I/O completes after the call returns.</summary>
        Overlapped,

        /// <summary>The catalogue of well-known APIs (<see cref="RetainingCatalogue"/>) lists the parameter as kept.</summary>
        Catalogue,

        /// <summary>Its name, or its name and signature, read as a registration (set…callback, register, hook, a callback next to user data, …).</summary>
        Name,
    }

    /// <summary>
    /// "Retaining" native functions (DESIGN.md, Rule catalogue): those that keep a pointer, handle or callback after
    /// they return, answered per parameter. In DESIGN.md's order of precedence: <c>interopguard.retaining_functions</c>
    /// (a function listed with parameters keeps only those), <c>interopguard.non_retaining_functions</c> (all or some
    /// parameters), the catalogue of well-known APIs (<see cref="RetainingCatalogue"/>, which also knows functions that
    /// call back only during the call), an <c>OVERLAPPED</c>/<c>NativeOverlapped*</c> parameter (except the functions
    /// that wait for or cancel an operation, which take it only to name the operation), and the registration reading of
    /// names and signatures (<see cref="ReadsAsRegistration"/>).
    /// </summary>
    internal static class RetainingFunctions
    {
        /// <summary>Whether, and why, the function keeps some parameter: the first reason among its parameters'.</summary>
        public static RetainingReason Why(NativeFunction function, InteropOptions options) => new RetainingReading(function, options).Why;

        /// <summary>Whether, and why, the function keeps what is passed as <paramref name="parameter"/> after it returns.</summary>
        public static RetainingReason WhyKept(NativeFunction function, IParameterSymbol parameter, InteropOptions options)
            => new RetainingReading(function, options).WhyKept(parameter);

        /// <summary>The catalogue family that knows the function ("SQLite", "Win32"), or null.</summary>
        public static string? CatalogueFamily(NativeFunction function) => RetainingCatalogue.Find(function)?.Family.Name;

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
            if (IsHandleSlot(parameter))
            {
                return false;
            }

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

        /// <summary>
        /// A <c>ref</c>/<c>out</c> parameter of a pointer-sized type — IntPtr, a pointer, or a struct around one such value
        /// (ManagedCuda's <c>CUdeviceptr</c>, <c>CUgraphicsResource</c>) — is where the function returns the handle it makes,
        /// the C <c>T**</c> out parameter: it is written before the call returns, whatever the name says
        /// (<c>cuMemAllocAsync(ref CUdeviceptr dptr, ...)</c>, <c>cuGraphicsGLRegisterBuffer(ref CUgraphicsResource r, ...)</c>).
        /// </summary>
        private static bool IsHandleSlot(IParameterSymbol parameter)
            => parameter.RefKind is RefKind.Ref or RefKind.Out && IsPointerSized(parameter.Type, depth: 0);

        private static bool IsPointerSized(ITypeSymbol type, int depth)
        {
            if (type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr || type.TypeKind == TypeKind.Pointer)
            {
                return true;
            }

            if (depth >= 2 || type.TypeKind != TypeKind.Struct || type is not INamedTypeSymbol named)
            {
                return false;
            }

            var fields = named.GetMembers().OfType<IFieldSymbol>().Where(f => !f.IsStatic && !f.IsConst).ToList();
            return fields.Count == 1 && IsPointerSized(fields[0].Type, depth + 1);
        }

        /// <summary>
        /// A function outside the catalogue reads as a registration when its name does (<see cref="HasRegistrationName"/>),
        /// or when its signature has the shape of one and its name a registration verb or callback noun: a callback (a
        /// delegate, a function pointer, or an IntPtr named like one) next to an untyped user-data pointer, in a function
        /// named set/add/register/attach/install/hook/subscribe/connect… or ending in handler/cb/proc/hook/listener (libvlc_log_set,
        /// sqlite3_busy_handler, mylib_on_event_attach), or in a function that makes an object given a callback
        /// (<see cref="IsCreatorTakingCallback"/>). A callback and user data alone are also the shape of a synchronous
        /// enumeration (EnumWindows, git_tag_foreach, sqlite3_exec), so the words decide, and words of calling, enumerating
        /// or undoing a registration veto it.
        /// </summary>
        internal static bool ReadsAsRegistration(NativeFunction function)
        {
            if (!MayReadAsRegistration(function))
            {
                return false;
            }

            var words = NameWords.Of(function.EntryPoint);
            if (words.Any(IsVetoWord))
            {
                return false;
            }

            if (HasRegistrationName(words))
            {
                return true;
            }

            var parameters = function.Method.Parameters;
            if (words.Any(w => SynchronousWords.Contains(w)) || !parameters.Any(IsCallbackParameter))
            {
                return false;
            }

            if (words.Any(w => w == "attach" || w == "install" || w == "subscribe") || IsCreatorTakingCallback(function, words))
            {
                return true;
            }

            var hasUserData = parameters.Any(p => !IsCallbackParameter(p) && IsUntypedPointer(p));
            return hasUserData
                   && (words.Any(w => RegistrationVerbs.Contains(w)) || (words.Count > 1 && CallbackNouns.Contains(words[words.Count - 1])));
        }

        /// <summary>
        /// A function that makes a native object (its name says new, create or alloc; it returns the object's pointer or
        /// handle, or writes it to a pointer-sized <c>out</c>/<c>ref</c> parameter, the C <c>T**</c> beside a status code) and
        /// is given a callback: the object keeps it for its life, as a constructor keeps its arguments (fluidsynth's
        /// <c>new_fluid_sfloader(load, free)</c>, <c>lua_newstate(alloc, ud)</c>, <c>g_hash_table_new(hash, equal)</c>,
        /// <c>png_create_read_struct(…, error_fn, warn_fn)</c>, CoreMIDI's <c>MIDIInputPortCreate(client, name, readProc,
        /// refCon, out port)</c>, nng's <c>nng_aio_alloc(out aio, callback, arg)</c>). Making something <em>from</em> a source
        /// reads the source during the call (<c>cairo_image_surface_create_from_png_stream(read, closure)</c>), as do the
        /// synchronous words the caller has already vetoed.
        /// </summary>
        private static bool IsCreatorTakingCallback(NativeFunction function, List<string> words)
            => (words.Contains("new") || words.Contains("create") || words.Contains("alloc")) && !words.Contains("from")
               && (IsObjectReturned(function.Method.ReturnType) || function.Method.Parameters.Any(IsHandleSlot));

        private static bool IsObjectReturned(ITypeSymbol type)
        {
            if (IsPointerSized(type, depth: 0))
            {
                return true;
            }

            for (var t = type as INamedTypeSymbol; t != null; t = t.BaseType)
            {
                if (t.Name == "SafeHandle" && NamespaceNames.Is(t.ContainingNamespace, "System.Runtime.InteropServices"))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// A necessary condition of <see cref="ReadsAsRegistration"/>, read from characters: a name word is a lower-cased run
        /// of the name's ASCII letters and digits, so every word a reading needs stands in the name, whatever its case. Without
        /// one of the words that <see cref="HasRegistrationName(List{string})"/> needs, every reading needs a callback parameter.
        /// </summary>
        /// <remarks>
        /// Asked first of every native function given a buffer or a delegate: most say no here, without splitting the name and
        /// every IntPtr parameter's name into words (twenty-sixth session, own27).
        /// </remarks>
        private static bool MayReadAsRegistration(NativeFunction function)
        {
            var name = function.EntryPoint;
            foreach (var word in RegistrationNameWords)
            {
                if (Holds(name, word))
                {
                    return true;
                }
            }

            // 'cb' and 'proc' make a registration name only beside 'set'.
            if (Holds(name, "set") && (Holds(name, "cb") || Holds(name, "proc")))
            {
                return true;
            }

            foreach (var parameter in function.Method.Parameters)
            {
                var type = parameter.Type;
                if (type.TypeKind == TypeKind.Delegate || type.TypeKind == TypeKind.FunctionPointer)
                {
                    return true;
                }

                if (type.SpecialType == SpecialType.System_IntPtr || type.SpecialType == SpecialType.System_UIntPtr)
                {
                    foreach (var word in CallbackParameterWords)
                    {
                        if (Holds(parameter.Name, word))
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }

        // The words HasRegistrationName needs (besides 'cb' and 'proc', which need 'set' too), and those IsCallbackParameter reads.
        private static readonly string[] RegistrationNameWords =
        {
            "callback", "handler", "hook", "listener", "register", "observer", "subscribe", "install", "begin", "async", "submit", "enqueue",
        };

        private static readonly string[] CallbackParameterWords = { "callback", "cb", "proc", "fn", "func", "handler", "routine" };

        private static bool Holds(string name, string word) => name.IndexOf(word, StringComparison.OrdinalIgnoreCase) >= 0;

        internal static bool HasRegistrationName(string name)
        {
            var words = NameWords.Of(name);
            return !words.Any(IsVetoWord) && HasRegistrationName(words);
        }

        private static readonly string[] RegistrationVerbs = { "set", "add", "register", "attach", "install", "hook", "subscribe", "connect" };

        private static readonly string[] CallbackNouns = { "callback", "callbacks", "cb", "handler", "handlers", "hook", "hooks", "listener", "listeners", "observer", "proc" };

        // Calling, enumerating or undoing a registration: CallNextHookEx, UnhookWindowsHookEx, RemoveVectoredExceptionHandler,
        // get_log_handler, EnumChildWindows, git_stash_foreach. They veto every name reading.
        private static readonly string[] VetoWords =
        {
            "call", "invoke", "get", "enum", "foreach", "remove", "unhook", "unregister", "unsubscribe", "detach", "clear",
        };

        // Words of doing the work now, with the callback as a visitor or comparator (mylib_for_each_row, run_with_callback,
        // sort_with, exec_query): they veto the signature reading, which is weaker evidence than a registration name.
        private static readonly string[] SynchronousWords = { "each", "walk", "iterate", "visit", "sort", "search", "exec", "run", "with", "query" };

        private static bool IsVetoWord(string word) => VetoWords.Contains(word);

        private static bool HasRegistrationName(List<string> words)
        {
            // Registration-style names: set...callback(s), register, add...handler, hook, subscribe, install, begin...,
            // ...async, submit, enqueue.
            bool Has(string word) => words.Contains(word);
            return (Has("set") && (Has("callback") || Has("callbacks") || Has("cb") || Has("handler") || Has("hook") || Has("listener") || Has("proc")))
                   || words.Any(w => w.StartsWith("register", StringComparison.Ordinal) && !w.StartsWith("registered", StringComparison.Ordinal))
                   || (Has("add") && (Has("handler") || Has("listener") || Has("callback") || Has("observer")))
                   || Has("hook") || Has("subscribe") || Has("install")
                   || (words.Count > 0 && (words[0] == "begin" || words[words.Count - 1] == "async"))
                   || Has("submit") || Has("enqueue");
        }

        /// <summary>A delegate or function pointer, or an IntPtr whose name says it is one (<c>IntPtr callback</c>, <c>fn</c>, <c>xProc</c>).</summary>
        internal static bool IsCallbackParameter(IParameterSymbol parameter)
        {
            var type = parameter.Type;
            if (type.TypeKind == TypeKind.Delegate || type.TypeKind == TypeKind.FunctionPointer)
            {
                return true;
            }

            return (type.SpecialType == SpecialType.System_IntPtr || type.SpecialType == SpecialType.System_UIntPtr)
                   && NameWords.Of(parameter.Name).Any(w => CallbackParameterWords.Contains(w));
        }

        private static bool IsUntypedPointer(IParameterSymbol parameter)
        {
            var type = parameter.Type;
            return parameter.RefKind == RefKind.None
                   && (type.SpecialType == SpecialType.System_IntPtr || type.SpecialType == SpecialType.System_UIntPtr
                       || (type is IPointerTypeSymbol pointer && pointer.PointedAtType.SpecialType == SpecialType.System_Void));
        }

        /// <summary>An <c>OVERLAPPED</c> or <c>NativeOverlapped</c>, by value or through a pointer.</summary>
        public static bool IsOverlapped(ITypeSymbol type)
        {
            var element = type is IPointerTypeSymbol pointer ? pointer.PointedAtType : type;
            return element.Name == "NativeOverlapped" || element.Name == "OVERLAPPED";
        }
    }

    /// <summary>
    /// What the options, the catalogue and the heuristics say about one native function, read once, from which each
    /// parameter's answer is a few comparisons (<see cref="RetainingFunctions"/> gives the order of precedence).
    /// </summary>
    internal sealed class RetainingReading
    {
        private readonly NativeFunction _function;
        private readonly ParameterSelection _listed;
        private readonly ParameterSelection _notKept;
        private readonly CatalogueEntry? _known;
        private readonly bool _hasOverlapped;
        private readonly RetainingReason _overlapped;
        private readonly Lazy<bool> _readsAsRegistration;
        private readonly Lazy<RetainingReason> _why;

        // WhyKept per parameter ordinal, -1 until asked: every argument of every native call asks, nearly always of a
        // parameter already answered. Writes race benignly (the same answer).
        private readonly int[] _keptByOrdinal;

        public RetainingReading(NativeFunction function, InteropOptions options)
        {
            _function = function;
            var method = function.Method;
            _keptByOrdinal = new int[method.Parameters.Length];
            for (var i = 0; i < _keptByOrdinal.Length; i++)
            {
                _keptByOrdinal[i] = -1;
            }

            _listed = options.RetainingFunctions.For(method, function.EntryPoint);
            _notKept = options.NonRetainingFunctions.For(method, function.EntryPoint);
            _known = _listed.IsListed ? null : RetainingCatalogue.Find(function);
            // A function taking an OVERLAPPED is judged by it; one that waits for or cancels the operation keeps nothing.
            _hasOverlapped = method.Parameters.Any(p => RetainingFunctions.IsOverlapped(p.Type));
            _overlapped = _hasOverlapped && !OperationEndingNames.IsCompletionFunction(function.EntryPoint) ? RetainingReason.Overlapped : RetainingReason.None;
            _readsAsRegistration = new Lazy<bool>(() => RetainingFunctions.ReadsAsRegistration(function));
            _why = new Lazy<RetainingReason>(() =>
            {
                foreach (var parameter in method.Parameters)
                {
                    var why = WhyKept(parameter);
                    if (why != RetainingReason.None)
                    {
                        return why;
                    }
                }

                return RetainingReason.None;
            });
        }

        /// <summary>Whether, and why, the function keeps some parameter.</summary>
        public RetainingReason Why => _why.Value;

        /// <summary><see cref="WhyKept"/>, answered once per parameter of the function.</summary>
        public RetainingReason WhyKeptOnce(IParameterSymbol parameter)
        {
            var ordinal = parameter.Ordinal;
            if (ordinal >= _keptByOrdinal.Length || !ReferenceEquals(parameter.ContainingSymbol, _function.Method.Parameters[ordinal].ContainingSymbol))
            {
                return WhyKept(parameter);
            }

            var known = _keptByOrdinal[ordinal];
            if (known >= 0)
            {
                return (RetainingReason)known;
            }

            var why = WhyKept(parameter);
            _keptByOrdinal[ordinal] = (int)why;
            return why;
        }

        /// <summary>Whether, and why, the function keeps what is passed as <paramref name="parameter"/>.</summary>
        public RetainingReason WhyKept(IParameterSymbol parameter)
        {
            if (_listed.IsListed)
            {
                // The user named the kept parameters: the others are not kept, whatever a heuristic would say.
                return _listed.Covers(parameter) ? RetainingReason.Option : RetainingReason.None;
            }

            if (_notKept.Covers(parameter))
            {
                return RetainingReason.None;
            }

            if (_known != null && _known.Keeps(parameter.Ordinal))
            {
                return RetainingReason.Catalogue;
            }

            if (_hasOverlapped)
            {
                return _overlapped;
            }

            if (_known != null)
            {
                return RetainingReason.None;
            }

            return _readsAsRegistration.Value ? RetainingReason.Name : RetainingReason.None;
        }
    }
}
