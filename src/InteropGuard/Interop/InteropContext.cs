using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Interop
{
    /// <summary>Options in force for one syntax tree and the catalogue built from them.</summary>
    internal sealed class InteropScope
    {
        public InteropScope(InteropOptions options, AllocationCatalogue catalogue)
        {
            Options = options;
            Catalogue = catalogue;
        }

        public InteropOptions Options { get; }
        public AllocationCatalogue Catalogue { get; }

        // Asked at every native call site; the name heuristics split names with a regular expression (PERFORMANCE.md, cause 5).
        private readonly ConcurrentDictionary<IMethodSymbol, RetainingReading> _retaining = ConcurrentTables.Create<IMethodSymbol, RetainingReading>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IParameterSymbol, bool> _nameKeepsPointer = ConcurrentTables.Create<IParameterSymbol, bool>(SymbolEqualityComparer.Default);

        /// <summary>Whether, and why, this native function keeps something it is given after it returns (<see cref="RetainingFunctions.Why"/>).</summary>
        public RetainingReason WhyRetaining(NativeFunction function)
            => Reading(function).Why;

        /// <summary>Does this native function keep something it is given after it returns?</summary>
        public bool IsRetaining(NativeFunction function) => WhyRetaining(function) != RetainingReason.None;

        /// <summary>Whether, and why, this native function keeps what is passed as <paramref name="parameter"/> (<see cref="RetainingFunctions.WhyKept"/>).</summary>
        /// <remarks>
        /// Asked for every argument of every native call the value analyses look at, nearly always of a parameter already
        /// answered: the function's reading keeps the answer per parameter ordinal, so a hit costs two array reads rather
        /// than a symbol-keyed table that grew with every parameter of every P/Invoke.
        /// </remarks>
        public RetainingReason WhyKept(NativeFunction function, IParameterSymbol parameter)
            => Reading(function).WhyKeptOnce(parameter.OriginalDefinition);

        private RetainingReading Reading(NativeFunction function)
            => _retaining.TryGetValue(function.Method, out var reading) ? reading : _retaining.GetOrAdd(function.Method, new RetainingReading(function, Options));

        /// <summary>Does this native function keep what is passed as <paramref name="parameter"/> after it returns?</summary>
        public bool Keeps(NativeFunction function, IParameterSymbol parameter) => WhyKept(function, parameter) != RetainingReason.None;

        /// <summary>
        /// Does this native function keep the memory a pointer passed as <paramref name="parameter"/> points to? A name alone
        /// says so only for some pointers (<see cref="RetainingFunctions.NameKeepsPointer"/>).
        /// </summary>
        public bool KeepsPointer(NativeFunction function, IParameterSymbol parameter)
            => WhyKept(function, parameter) switch
            {
                RetainingReason.None => false,
                RetainingReason.Name => NameKeepsPointer(function, parameter),
                _ => true,
            };

        /// <summary><see cref="RetainingFunctions.NameKeepsPointer"/>, once per parameter.</summary>
        public bool NameKeepsPointer(NativeFunction function, IParameterSymbol parameter)
        {
            var key = parameter.OriginalDefinition;
            return _nameKeepsPointer.TryGetValue(key, out var keeps) ? keeps : _nameKeepsPointer.GetOrAdd(key, RetainingFunctions.NameKeepsPointer(function, key));
        }
    }

    /// <summary>
    /// Everything the rules know about interop in one compilation: well-known types, native functions, wrapper
    /// summaries, the interop vocabulary of its syntax trees and, per distinct set of options, the allocation catalogue.
    /// Built once per compilation and shared by every analyzer (<see cref="For"/>).
    /// </summary>
    internal sealed class InteropContext
    {
        // The one piece of static state (DESIGN.md, Architecture): eleven analyzers ask the same questions of one
        // compilation, and answering them once is most of our performance budget. A ConditionalWeakTable holds its keys
        // weakly and its values only as long as their key lives, so a cached context (which references its
        // compilation) never keeps a compilation alive. The inner table is keyed by the options provider, which the
        // driver hands identically to every analyzer of one run; a different provider (another host, a test) gets its
        // own context rather than another's options.
        private static readonly ConditionalWeakTable<Compilation, ConditionalWeakTable<AnalyzerConfigOptionsProvider, InteropContext>> Shared
            = new ConditionalWeakTable<Compilation, ConditionalWeakTable<AnalyzerConfigOptionsProvider, InteropContext>>();

        private readonly AnalyzerConfigOptionsProvider _optionsProvider;
        // The options' scopes, made when a tree's scope is first asked for (see the shared analyses below).
        private ScopeTables? _scopes;

        // The shared analyses below are made when first asked for, not with the context: each holds concurrent tables of
        // 64 locks (ConcurrentTables), and a compilation the vocabulary gates out — most code without interop — never asks
        // for one. Made with the context, their tables were about a sixth of InteropGuard's processor time on Polly.Core
        // (twenty-fifth session, lead26). Two threads that ask at once may each make one; the first published is kept.
        private NativeFunctionTable? _nativeFunctions;
        private WrapperSummaries? _wrappers;
        private HeldSummaries? _held;
        private HandleReleases? _handleReleases;

        private InteropContext(Compilation compilation, AnalyzerConfigOptionsProvider optionsProvider)
        {
            Compilation = compilation;
            _optionsProvider = optionsProvider;
            // Each type is resolved on first use (a compilation the vocabulary gates out never asks for one;
            // GetTypeByMetadataName builds lookup tables over every reference the first time), and the native table
            // resolves nothing until asked, so no analyzer's start waits on another's here.
            Types = WellKnownTypes.Create(compilation);
            Vocabulary = InteropVocabulary.For(compilation);
        }

        public Compilation Compilation { get; }

        public WellKnownTypes Types { get; }

        public NativeFunctionTable NativeFunctions
            => _nativeFunctions ?? Publish(ref _nativeFunctions, new NativeFunctionTable(Types, Compilation, tree => ForTree(tree).Options));

        public WrapperSummaries Wrappers => _wrappers ?? Publish(ref _wrappers, new WrapperSummaries(this, Compilation));

        /// <summary>The summaries Flow/ computes once per compilation (<see cref="HeldSummaries"/>).</summary>
        public HeldSummaries Held => _held ?? Publish(ref _held, new HeldSummaries(this));

        /// <summary>Which SafeHandle types release nothing (<see cref="Interop.HandleReleases"/>).</summary>
        public HandleReleases HandleReleases => _handleReleases ?? Publish(ref _handleReleases, new HandleReleases(this));

        /// <summary>Which interop words each syntax tree uses: the cheap gates of every analyzer.</summary>
        public InteropVocabulary Vocabulary { get; }

        /// <summary>The context every analyzer of this compilation shares.</summary>
        public static InteropContext For(Compilation compilation, AnalyzerOptions options)
            => Shared.GetValue(compilation, _ => new ConditionalWeakTable<AnalyzerConfigOptionsProvider, InteropContext>())
                .GetValue(options.AnalyzerConfigOptionsProvider, provider => new InteropContext(compilation, provider));

        /// <summary>A context of its own, not shared (tests that must not see another test's caches).</summary>
        public static InteropContext Create(Compilation compilation, AnalyzerOptions options)
            => new InteropContext(compilation, options.AnalyzerConfigOptionsProvider);

        public InteropScope ForTree(SyntaxTree tree)
        {
            var byTree = (_scopes ?? Publish(ref _scopes, new ScopeTables())).ByTree;
            return byTree.TryGetValue(tree, out var scope) ? scope : byTree.GetOrAdd(tree, CreateScope);
        }

        /// <summary>Do the options of any tree name allocator pairs of the project's own (allocators no word gives away)?</summary>
        /// <remarks>
        /// Asked by Ownership's start of every compilation without native declarations, for every tree: a tree whose options
        /// have no <c>allocator_pairs</c> value has no pairs (<see cref="InteropOptions.Read"/>), so only the others build
        /// their scope.
        /// </remarks>
        public bool HasConfiguredAllocators()
        {
            // Trees under the same .editorconfig sections share one options object, and the answer is the object's: a tree
            // whose object is the one just read has the answer already read (no), without another key lookup.
            AnalyzerConfigOptions? read = null;
            foreach (var tree in Compilation.SyntaxTrees)
            {
                var config = _optionsProvider.GetOptions(tree);
                if (ReferenceEquals(config, read))
                {
                    continue;
                }

                if (config.TryGetValue(InteropOptions.AllocatorPairsKey, out var pairs) && !string.IsNullOrWhiteSpace(pairs)
                    && !ForTree(tree).Options.AllocatorPairs.IsEmpty)
                {
                    return true;
                }

                read = config;
            }

            return false;
        }

        private InteropScope CreateScope(SyntaxTree tree)
        {
            var config = _optionsProvider.GetOptions(tree);
            var scopes = _scopes!;
            if (scopes.ByConfig.TryGetValue(config, out var known))
            {
                return known;
            }

            var key = string.Join("\u0001", InteropOptions.Keys.Select(k => config.TryGetValue(k, out var v) ? v : string.Empty));
            var scope = scopes.ByOptions.GetOrAdd(key, _ =>
            {
                var options = InteropOptions.Read(config);
                return new InteropScope(options, new AllocationCatalogue(this, options.AllocatorPairs));
            });
            return scopes.ByConfig.GetOrAdd(config, scope);
        }

        private static T Publish<T>(ref T? field, T made)
            where T : class
            => Interlocked.CompareExchange(ref field, made, null) ?? made;

        private sealed class ScopeTables
        {
            public readonly ConcurrentDictionary<SyntaxTree, InteropScope> ByTree = ConcurrentTables.Create<SyntaxTree, InteropScope>();
            public readonly ConcurrentDictionary<string, InteropScope> ByOptions = ConcurrentTables.Create<string, InteropScope>();

            // The compiler hands every tree under the same .editorconfig sections one options object (compared by reference:
            // AnalyzerConfigOptions does not override Equals), so a tree whose object was seen takes its scope without the
            // key of CreateScope, which reads every option and joins them (8% of CallbackLifetime's samples on OpenCvSharp).
            public readonly ConcurrentDictionary<AnalyzerConfigOptions, InteropScope> ByConfig = ConcurrentTables.Create<AnalyzerConfigOptions, InteropScope>();
        }
    }
}
