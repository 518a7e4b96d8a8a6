using System.Collections.Concurrent;
using System.Linq;
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

        /// <summary>Does this native function keep what it is given after it returns?</summary>
        public bool IsRetaining(NativeFunction function) => RetainingFunctions.IsRetaining(function, Options);

        /// <summary>Does this native function keep the memory a pointer passed as <paramref name="parameter"/> points to?</summary>
        public bool KeepsPointer(NativeFunction function, IParameterSymbol parameter)
            => RetainingFunctions.IsRetaining(function, Options)
               && (!RetainingFunctions.IsRetainingByNameOnly(function, Options) || RetainingFunctions.NameKeepsPointer(function, parameter));
    }

    /// <summary>
    /// Everything the rules know about interop in one compilation: well-known types, native functions, wrapper
    /// summaries and, per distinct set of options, the allocation catalogue. Created once in a compilation-start action.
    /// </summary>
    internal sealed class InteropContext
    {
        private readonly AnalyzerConfigOptionsProvider _optionsProvider;
        private readonly ConcurrentDictionary<SyntaxTree, InteropScope> _scopesByTree = new ConcurrentDictionary<SyntaxTree, InteropScope>();
        private readonly ConcurrentDictionary<string, InteropScope> _scopesByOptions = new ConcurrentDictionary<string, InteropScope>();

        private InteropContext(Compilation compilation, AnalyzerConfigOptionsProvider optionsProvider)
        {
            Compilation = compilation;
            _optionsProvider = optionsProvider;
            Types = WellKnownTypes.Create(compilation);
            NativeFunctions = new NativeFunctionTable(Types, compilation);
            Wrappers = new WrapperSummaries(this, compilation);
        }

        public Compilation Compilation { get; }
        public WellKnownTypes Types { get; }
        public NativeFunctionTable NativeFunctions { get; }
        public WrapperSummaries Wrappers { get; }

        public static InteropContext Create(Compilation compilation, AnalyzerOptions options)
            => new InteropContext(compilation, options.AnalyzerConfigOptionsProvider);

        public InteropScope ForTree(SyntaxTree tree) => _scopesByTree.GetOrAdd(tree, CreateScope);

        private InteropScope CreateScope(SyntaxTree tree)
        {
            var config = _optionsProvider.GetOptions(tree);
            var key = string.Join("\u0001", InteropOptions.Keys.Select(k => config.TryGetValue(k, out var v) ? v : string.Empty));
            return _scopesByOptions.GetOrAdd(key, _ =>
            {
                var options = InteropOptions.Read(config);
                return new InteropScope(options, new AllocationCatalogue(this, options.AllocatorPairs));
            });
        }
    }
}
