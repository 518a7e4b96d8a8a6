using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>A P/Invoke that hands out a raw handle and the P/Invoke of the same type that releases it.</summary>
    internal sealed class HandleFunctionPair
    {
        public HandleFunctionPair(IMethodSymbol acquire, int outParameter, IMethodSymbol release, string stem, bool releaseCountsReferences)
        {
            Acquire = acquire;
            OutParameter = outParameter;
            Release = release;
            Stem = stem;
            ReleaseCountsReferences = releaseCountsReferences;
        }

        public IMethodSymbol Acquire { get; }

        /// <summary>Ordinal of the <c>out IntPtr</c> parameter that receives the handle; -1 when the handle is returned.</summary>
        public int OutParameter { get; }

        /// <summary>Takes the handle as its only parameter, by value.</summary>
        public IMethodSymbol Release { get; }

        /// <summary>The acquire function's name without its verb, in word parts joined by '_', e.g. <c>mylib_ctx</c>.</summary>
        public string Stem { get; }

        /// <summary>An unref/release whose integer result is a remaining reference count, not a status.</summary>
        public bool ReleaseCountsReferences { get; }
    }

    /// <summary>
    /// Pairs acquire-style P/Invokes (create/open/alloc/new/init/…) with the release P/Invoke declared next to them
    /// (close/free/destroy/…) by the name they share once the verb is taken out, or by a configured
    /// <c>interopguard.allocator_pairs</c> entry. One instance per compilation and option set; cached per method.
    /// </summary>
    internal sealed class HandleFunctionPairs
    {
        // The release verbs each acquire verb conventionally pairs with, most likely first. When a stem has several
        // releases (sqlite3_close and sqlite3_free), only these decide; a lone release of another verb still pairs.
        private static readonly Dictionary<string, string[]> AcquireVerbs = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
        {
            ["create"] = new[] { "destroy", "delete", "free", "release", "close", "dispose", "unref" },
            ["open"] = new[] { "close", "free", "release" },
            ["alloc"] = new[] { "free", "dealloc", "release" },
            ["allocate"] = new[] { "free", "deallocate", "release" },
            ["new"] = new[] { "free", "delete", "destroy", "unref", "release" },
            ["init"] = new[] { "deinit", "fini", "finalize", "term", "cleanup", "destroy", "free" },
            ["initialize"] = new[] { "uninitialize", "deinitialize", "finalize", "terminate", "cleanup", "destroy" },
            ["acquire"] = new[] { "release" },
            ["load"] = new[] { "unload", "free", "release" },
            ["connect"] = new[] { "disconnect", "close" },
            ["make"] = new[] { "free", "destroy", "release" },
            ["dup"] = new[] { "free", "close", "release" },
            ["duplicate"] = new[] { "free", "close", "release" },
            ["clone"] = new[] { "free", "destroy", "release" },
        };

        private static readonly HashSet<string> ReleaseVerbs = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "close", "free", "destroy", "delete", "release", "dispose", "unref", "unload", "disconnect", "deinit", "fini",
            "finalize", "term", "terminate", "cleanup", "dealloc", "deallocate", "uninitialize", "deinitialize",
        };

        // Words that say a function ends or takes down something, beyond the release verbs (a shutdown, a reset, a detach).
        private static readonly HashSet<string> EndingWords = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "shutdown", "kill", "reset", "clear", "remove", "stop", "exit", "quit", "abort", "dec", "decref", "detach", "drop", "end",
        };

        private static readonly HashSet<string> ReferenceCountingVerbs = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "unref", "release" };

        private readonly InteropContext _context;
        private readonly InteropScope _scope;
        private readonly ConcurrentDictionary<IMethodSymbol, HandleFunctionPair?> _pairs = ConcurrentTables.Create<IMethodSymbol, HandleFunctionPair?>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<INamedTypeSymbol, ReleaseCandidate[]> _releases = ConcurrentTables.Create<INamedTypeSymbol, ReleaseCandidate[]>(SymbolEqualityComparer.Default);

        public HandleFunctionPairs(InteropContext context, InteropScope scope)
        {
            _context = context;
            _scope = scope;
        }

        /// <summary>The pair <paramref name="acquire"/> starts, or null when it hands out no raw handle or has no release next to it.</summary>
        public HandleFunctionPair? Get(IMethodSymbol acquire) => _pairs.GetOrAdd(acquire.OriginalDefinition, Find);

        /// <summary>The pair whose acquire produced (a raw-handle field's value, for IG3007 and the owners rooted by their GCHandle) <paramref name="value"/>: the call itself, or a local assigned from it in the same body.</summary>
        public HandleFunctionPair? ProducedBy(IOperation value)
        {
            value = Unwrap(value);
            if (value is IInvocationOperation call)
            {
                var pair = Get(call.TargetMethod);
                return pair?.OutParameter == -1 ? pair : null;
            }

            if (value is not ILocalReferenceOperation local)
            {
                return null;
            }

            var root = OperationTree.Root(value);

            foreach (var operation in root.Descendants())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local.Local) && declarator.Initializer != null:
                        if (Unwrap(declarator.Initializer.Value) is IInvocationOperation initializerCall && Get(initializerCall.TargetMethod) is { OutParameter: -1 } fromInitializer)
                        {
                            return fromInitializer;
                        }

                        break;
                    case ISimpleAssignmentOperation assignment when assignment.Target is ILocalReferenceOperation target && SymbolEqualityComparer.Default.Equals(target.Local, local.Local):
                        if (Unwrap(assignment.Value) is IInvocationOperation assignedCall && Get(assignedCall.TargetMethod) is { OutParameter: -1 } fromAssignment)
                        {
                            return fromAssignment;
                        }

                        break;
                    case IArgumentOperation argument when argument.Parameter?.RefKind == RefKind.Out && argument.Parent is IInvocationOperation outCall:
                        var written = argument.Value is IDeclarationExpressionOperation declaration ? declaration.Expression : argument.Value;
                        if (written is ILocalReferenceOperation outLocal && SymbolEqualityComparer.Default.Equals(outLocal.Local, local.Local)
                            && Get(outCall.TargetMethod) is { } fromOut && fromOut.OutParameter == argument.Parameter.Ordinal)
                        {
                            return fromOut;
                        }

                        break;
                }
            }

            return null;
        }

        // Not OperationTree.SkipConversions, which also goes through explicit casts: this reading stops at them.
        private static IOperation Unwrap(IOperation value)
        {
            while (value is IConversionOperation conversion && conversion.IsImplicit)
            {
                value = conversion.Operand;
            }

            return value;
        }

        private HandleFunctionPair? Find(IMethodSymbol acquire)
        {
            var native = _context.NativeFunctions.Get(acquire);
            if (native == null || acquire.ContainingType == null)
            {
                return null;
            }

            var outParameter = HandleOutParameter(acquire);
            if (outParameter == -2)
            {
                return null;
            }

            // Memory blocks of well-known allocators (malloc, LocalAlloc, …) are IG3001's; a handle type would only rename them.
            if (_scope.Catalogue.TryGetAllocator(acquire, out var allocator) && !allocator.Family.StartsWith("configured ", StringComparison.Ordinal))
            {
                return null;
            }

            var candidates = ReleaseCandidatesOf(acquire.ContainingType);
            foreach (var pair in _scope.Options.AllocatorPairs)
            {
                if (!FunctionNameSet.NameMatches(pair.Allocator, acquire, native.EntryPoint))
                {
                    continue;
                }

                var release = candidates.FirstOrDefault(c => !SymbolEqualityComparer.Default.Equals(c.Method, acquire) && FunctionNameSet.NameMatches(pair.Release, c.Method, c.Function.EntryPoint))?.Method;
                if (release != null)
                {
                    return new HandleFunctionPair(acquire, outParameter, release, AcquireStem(acquire.Name), CountsReferences(release.Name));
                }
            }

            var acquireStem = StemOf(Words(acquire.Name), AcquireVerbs.ContainsKey, out var acquireVerb);
            if (acquireStem == null)
            {
                return null;
            }

            var matches = new List<(IMethodSymbol Method, string Verb)>();
            foreach (var candidate in candidates)
            {
                if (candidate.Stem != null && string.Equals(candidate.Stem, acquireStem, StringComparison.OrdinalIgnoreCase)
                    && !SymbolEqualityComparer.Default.Equals(candidate.Method, acquire))
                {
                    matches.Add((candidate.Method, candidate.Verb!));
                }
            }

            if (matches.Count == 0)
            {
                return null;
            }

            var chosen = matches.Count == 1
                ? matches[0]
                : AcquireVerbs[acquireVerb!].SelectMany(v => matches.Where(m => string.Equals(m.Verb, v, StringComparison.OrdinalIgnoreCase))).FirstOrDefault();
            if (chosen.Method == null)
            {
                return null;
            }

            return new HandleFunctionPair(acquire, outParameter, chosen.Method, acquireStem, ReferenceCountingVerbs.Contains(chosen.Verb));
        }

        /// <summary>
        /// The P/Invokes of <paramref name="type"/> that take only a handle, in member order, with their release stems: read
        /// once per type. Every acquire function of a type is paired against the same members, and reading them (and
        /// splitting every name into words) again for each acquire was most of what the raw-handle-field rule cost on
        /// bindings that declare many functions in one class.
        /// </summary>
        private ReleaseCandidate[] ReleaseCandidatesOf(INamedTypeSymbol type)
            => _releases.TryGetValue(type, out var candidates) ? candidates : _releases.GetOrAdd(type, ReadReleaseCandidates(type));

        private ReleaseCandidate[] ReadReleaseCandidates(INamedTypeSymbol type)
        {
            var candidates = new List<ReleaseCandidate>();
            foreach (var member in type.GetMembers())
            {
                if (member is IMethodSymbol method && TakesOnlyAHandle(method) && _context.NativeFunctions.Get(method) is { } function)
                {
                    var stem = StemOf(Words(method.Name), ReleaseVerbs.Contains, out var verb);
                    candidates.Add(new ReleaseCandidate(method, function, stem, verb));
                }
            }

            return candidates.ToArray();
        }

        /// <summary>A function that could release a handle, and the stem and verb its name has as a release (both null when none).</summary>
        private sealed class ReleaseCandidate
        {
            public ReleaseCandidate(IMethodSymbol method, NativeFunction function, string? stem, string? verb)
            {
                Method = method;
                Function = function;
                Stem = stem;
                Verb = verb;
            }

            public IMethodSymbol Method { get; }

            public NativeFunction Function { get; }

            public string? Stem { get; }

            public string? Verb { get; }
        }

        /// <summary>-1 when the handle is the return value, the ordinal of the single <c>out IntPtr</c> otherwise, -2 when neither.</summary>
        private static int HandleOutParameter(IMethodSymbol method)
        {
            var outs = method.Parameters.Where(p => p.RefKind == RefKind.Out && IsRawHandle(p.Type)).ToList();
            if (IsRawHandle(method.ReturnType))
            {
                return outs.Count == 0 ? -1 : -2;
            }

            return outs.Count == 1 ? outs[0].Ordinal : -2;
        }

        // A release the generated ReleaseHandle can call with nothing but the handle.
        private static bool TakesOnlyAHandle(IMethodSymbol method)
            => method.IsStatic && method.Parameters.Length == 1 && method.Parameters[0].RefKind == RefKind.None && IsRawHandle(method.Parameters[0].Type);

        /// <summary>IntPtr and nint (the same type to the compiler).</summary>
        internal static bool IsRawHandle(ITypeSymbol type) => type.SpecialType == SpecialType.System_IntPtr;

        /// <summary>
        /// The name without its first verb part, parts joined by '_' in lower case; null when no part is a verb or
        /// nothing but the verb is left (a bare <c>Open</c>/<c>Close</c> says nothing about what it opens).
        /// </summary>
        internal static string? StemOf(IReadOnlyList<string> words, Func<string, bool> isVerb, out string? verb)
        {
            verb = null;
            var index = -1;
            for (var i = 0; i < words.Count; i++)
            {
                if (isVerb(words[i]))
                {
                    index = i;
                    break;
                }
            }

            if (index < 0 || words.Count < 2)
            {
                return null;
            }

            verb = words[index];
            return string.Join("_", words.Where((_, i) => i != index).Select(w => w.ToLowerInvariant()));
        }

        /// <summary>Word parts of an identifier: snake_case pieces, then camel/Pascal humps (an acronym stays one part, digits stay with their word).</summary>
        internal static IReadOnlyList<string> Words(string name)
        {
            var words = new List<string>();
            foreach (var piece in name.Split(new[] { '_' }, StringSplitOptions.RemoveEmptyEntries))
            {
                var current = new StringBuilder();
                for (var i = 0; i < piece.Length; i++)
                {
                    var c = piece[i];
                    var startsHump = char.IsUpper(c) && current.Length > 0
                        && (!char.IsUpper(piece[i - 1]) || (i + 1 < piece.Length && char.IsLower(piece[i + 1])));
                    if (startsHump)
                    {
                        words.Add(current.ToString());
                        current.Clear();
                    }

                    current.Append(c);
                }

                if (current.Length > 0)
                {
                    words.Add(current.ToString());
                }
            }

            return words;
        }

        /// <summary>The stem of an acquire function's name, or all its parts when no part is an acquire verb (a configured pair).</summary>
        internal static string AcquireStem(string acquireName)
        {
            var words = Words(acquireName);
            return StemOf(words, AcquireVerbs.ContainsKey, out _) ?? string.Join("_", words.Select(w => w.ToLowerInvariant()));
        }

        /// <summary>True when a word part of the name is a release verb (close, free, destroy, …).</summary>
        internal static bool IsReleaseName(string name) => Words(name).Any(ReleaseVerbs.Contains);

        /// <summary>True when a word part of the name is an acquire verb (create, open, new, init, …).</summary>
        internal static bool IsAcquireName(string name) => Words(name).Any(AcquireVerbs.ContainsKey);

        /// <summary>
        /// True when the name says the function makes, releases or otherwise ends or takes down something: an acquire or
        /// release verb, or a word of <see cref="EndingWords"/>. A function whose name says none of these is read as one
        /// that only reads or sets what it is given (ValveSockets' <c>SetGlobalCallback_…</c>).
        /// </summary>
        internal static bool MakesOrEndsName(string name) => IsReleaseName(name) || IsAcquireName(name) || Words(name).Any(EndingWords.Contains);

        /// <summary>True for an unref/release, whose integer result is commonly the remaining reference count rather than a status.</summary>
        internal static bool CountsReferences(string releaseName) => Words(releaseName).Any(ReferenceCountingVerbs.Contains);

        /// <summary>PascalCase of a stem, for the generated handle type: <c>mylib_ctx</c> → <c>MylibCtx</c>.</summary>
        internal static string PascalCase(string stem)
        {
            var builder = new StringBuilder();
            foreach (var word in stem.Split(new[] { '_' }, StringSplitOptions.RemoveEmptyEntries))
            {
                builder.Append(char.ToUpperInvariant(word[0])).Append(word.Substring(1));
            }

            return builder.ToString();
        }
    }
}
