using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Can a call to a method of this compilation throw? Yes when its body can — an explicit <c>throw</c>, or a throw point
    /// of <see cref="ThrowPoints"/> outside a catch-all, which includes calls to methods whose own bodies can — read to a
    /// bounded depth (<see cref="WrapperSummaries.MaxDepth"/>), beyond which a call is assumed to throw. So a wrapper that
    /// only frees (<c>static void Release(IntPtr p) =&gt; Marshal.FreeHGlobal(p);</c>) or only forwards to a P/Invoke
    /// is not a throw point, and one that checks a result and throws is. Answered once per method, options scope,
    /// model and depth: a summary depends only on deeper ones, so answers do not depend on the order of concurrent
    /// analyses.
    /// </summary>
    internal sealed class ThrowingMethods
    {
        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<Key, bool> _cache = ConcurrentTables.Create<Key, bool>();

        /// <summary>The compilation's one instance, held by its context (<see cref="HeldSummaries"/>).</summary>
        public static ThrowingMethods Of(InteropContext context) => context.Held.Get(c => new ThrowingMethods(c));

        public ThrowingMethods(InteropContext context)
        {
            _context = context;
        }

        /// <summary>
        /// Every body a virtual call to <paramref name="method"/> can run, when all of them are in this compilation: the
        /// method is a class member no code outside the compilation can override (not visible outside it, or on a type
        /// nobody outside can derive from), so its own body, when it has one, and the compilation's overrides are all; or
        /// a member of an interface no code outside the compilation can implement (<see cref="ImplementedInterfaces.IsClosedAndImplemented"/>),
        /// so the implementations the compilation's classes and structs declare are all (Realm's internal
        /// <c>INotifiable&lt;T&gt;.NotifyCallbacks</c>, implemented by three of its collection and object types). Null when
        /// code outside may override or implement it. The overrides and implementing types are collected once per
        /// compilation, from symbols, the first time a call asks.
        /// </summary>
        public IReadOnlyList<IMethodSymbol>? ClosedImplementations(IMethodSymbol method)
        {
            if (method.ContainingType is { TypeKind: TypeKind.Interface })
            {
                return ImplementedInterfaces.Of(_context).ImplementationsOf(method);
            }

            method = method.OriginalDefinition;
            var type = method.ContainingType;
            if (type == null || type.TypeKind != TypeKind.Class || !SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, _context.Compilation.Assembly)
                || (SymbolVisibility.IsVisibleOutsideTheCompilation(method) && !type.IsSealed && HasVisibleConstructor(type)))
            {
                return null;
            }

            var all = new List<IMethodSymbol>();
            if (!method.IsAbstract)
            {
                all.Add(method);
            }

            all.AddRange(CompilationOverrides.Of(_context).Overriding(method));

            return all;
        }

        private static void Add(List<IMethodSymbol> all, IMethodSymbol method)
        {
            if (!method.IsAbstract && !all.Contains(method, SymbolEqualityComparer.Default))
            {
                all.Add(method);
            }
        }

        private static bool HasVisibleConstructor(INamedTypeSymbol type)
        {
            foreach (var constructor in type.InstanceConstructors)
            {
                if (SymbolVisibility.IsVisibleOutsideTheCompilation(constructor))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Whether a call to <paramref name="method"/> (a method of this compilation with a body, called non-virtually) can
        /// throw, judged with <paramref name="catalogue"/> at <paramref name="depth"/> levels of calls below the analyzed
        /// body. <paramref name="everyFailure"/> also counts what <see cref="EscapingExceptions"/> counts beyond calls
        /// (indexing, casts, checked arithmetic).
        /// </summary>
        public bool MayThrow(IMethodSymbol method, AllocationCatalogue catalogue, bool everyFailure, int depth)
            => MayThrow(method, catalogue, everyFailure, depth, chainLinks: 0);

        /// <param name="chainLinks">How many constructor chain links led here without spending a level of depth
        /// (<see cref="ThrowPoints.MaxChainLinks"/>): a constructor reached through <c>: this(...)</c> or <c>: base(...)</c> is
        /// read at the level of the constructor that chains to it.</param>
        /// <param name="nonNullArguments">The parameters (bits by ordinal) the call being judged fills with values that are
        /// never null (<see cref="InfallibleCalls.IsNeverNull"/>); 0 when none.</param>
        /// <param name="measuredArguments">The count arguments the call being judged fills with the measurement of a string
        /// argument (<see cref="MeasuredArguments"/>); null when none.</param>
        internal bool MayThrow(IMethodSymbol method, AllocationCatalogue catalogue, bool everyFailure, int depth, int chainLinks, int nonNullArguments = 0, MeasuredArguments? measuredArguments = null)
        {
            if (WrapperSummaries.IsSourceMethodWithBody(method) && ShapeOf(method) == BodyShape.Placeholder)
            {
                return false;
            }

            if (depth >= WrapperSummaries.MaxDepth || !WrapperSummaries.IsSourceMethodWithBody(method) || ShapeOf(method) is not (BodyShape.Read or BodyShape.ReadAndThrowsExplicitly))
            {
                return true;
            }

            return _cache.GetOrAdd(new Key(method.OriginalDefinition, catalogue, everyFailure, depth, chainLinks, nonNullArguments, measuredArguments), Compute);
        }

        /// <summary>
        /// Whether <paramref name="method"/>, an accessor of this compilation, throws on its own: it contains a <c>throw</c>
        /// outside any <c>try</c> (and outside lambdas and local functions), and — when it is short enough to read — the
        /// reading agrees (<see cref="MayThrow"/>; a guard on a released handle is not counted). A setter that rejects a
        /// value it cannot store is the case; an accessor that only calls something that throws is not, as property reads
        /// in general are not.
        /// </summary>
        public bool ThrowsExplicitly(IMethodSymbol method, AllocationCatalogue catalogue, bool everyFailure, int depth)
        {
            if (!WrapperSummaries.IsSourceMethodWithBody(method) || !SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, _context.Compilation.Assembly))
            {
                return false;
            }

            var shape = ShapeOf(method);
            return shape == BodyShape.Throws || (shape == BodyShape.ReadAndThrowsExplicitly && MayThrow(method, catalogue, everyFailure, depth));
        }

        /// <summary>
        /// What the syntax of a callee's body says before anything is bound. Binding is the cost (reading every callee's
        /// body bound most of OpenCvSharp a second time: Ownership went from 0.14 s to 1.0 s), so a body is bound only when
        /// its answer is not already plain from its syntax and its size is within a budget:
        /// <list type="bullet">
        /// <item>an expression body or a block of at most <see cref="MaxTopLevelStatements"/> statements (release helpers,
        /// forwarders to a P/Invoke) is read, as before;</item>
        /// <item>a longer body with an explicit <c>throw</c> outside any <c>try</c> (and outside lambdas and local
        /// functions) throws: answered without binding — the argument checks of a binding's public methods are the common
        /// case;</item>
        /// <item>otherwise a longer body is read when it makes at most <see cref="MaxCalls"/> calls and creations (the places an
        /// exception can start) and has at most <see cref="MaxStatements"/> statements that branch, loop or call, nested ones
        /// included, besides at most <see cref="MaxPlainStatements"/> plain stores (an assignment or declaration that calls
        /// and creates nothing): a string or array decoder (null test, measure, allocate, copy, decode) is read, and so is a
        /// setup routine that fills a native struct field by field around a few native calls (FNA's
        /// <c>PrepareUserVertexBuffer</c>: 18 statements, 11 of them plain stores, 4 P/Invokes), while a long body is not.
        /// Plain stores cost little to bind and start no exception of their own in the calls-and-throws model; counting
        /// them with the rest made such routines "assumed to throw" and named them as the throw point of every pin held
        /// around them;</item>
        /// <item>a longer body is assumed to throw, as every call was before.</item>
        /// </list>
        /// An expression body is read as a block of one statement. Answered once per method.
        /// </summary>
        private BodyShape ShapeOf(IMethodSymbol method)
            => _shapes.GetOrAdd(method.OriginalDefinition, ReadShape);

        private readonly ConcurrentDictionary<IMethodSymbol, BodyShape> _shapes = ConcurrentTables.Create<IMethodSymbol, BodyShape>(SymbolEqualityComparer.Default);

        /// <summary>Statements of a block that is read whatever it calls.</summary>
        internal const int MaxTopLevelStatements = 4;

        /// <summary>Calls and creations a longer body read for its summary may make.</summary>
        internal const int MaxCalls = 8;

        /// <summary>Statements that branch, loop or call, nested ones included, a longer body read for its summary may have.</summary>
        internal const int MaxStatements = 16;

        /// <summary>Plain stores (no call, no creation) a longer body read for its summary may have besides.</summary>
        internal const int MaxPlainStatements = 32;

        private static BodyShape ReadShape(IMethodSymbol method)
        {
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                if (!DeclarationBodies.TryGet(reference.GetSyntax(), out var block, out var expression))
                {
                    continue;
                }

                SyntaxNode? body = (SyntaxNode?)block ?? expression;
                if (body == null)
                {
                    continue;
                }

                if (IsPlaceholder(block, expression))
                {
                    return BodyShape.Placeholder;
                }

                var calls = 0;
                var statements = 0;
                var plain = 0;
                var hasTry = false;
                var throws = false;
                foreach (var node in body.DescendantNodesAndSelf(n => n == body || !OperationTree.IsFunctionSyntax(n)))
                {
                    switch (node)
                    {
                        case InvocationExpressionSyntax:
                        case BaseObjectCreationExpressionSyntax:
                            calls++;
                            break;
                        case TryStatementSyntax:
                            hasTry = true;
                            break;
                        case ThrowStatementSyntax:
                        case ThrowExpressionSyntax:
                            throws = true;
                            break;
                    }

                    if (node is StatementSyntax and not BlockSyntax && node != body)
                    {
                        if (IsPlainStore(node))
                        {
                            plain++;
                        }
                        else
                        {
                            statements++;
                        }
                    }
                }

                // Short bodies are read whatever they contain: a guard that throws on a released handle is a broken
                // invariant the full reading discounts (EscapingExceptions), not a failure to handle.
                var explicitThrow = throws && !hasTry;
                if (block == null || block.Statements.Count <= MaxTopLevelStatements)
                {
                    return explicitThrow ? BodyShape.ReadAndThrowsExplicitly : BodyShape.Read;
                }

                if (explicitThrow)
                {
                    return BodyShape.Throws;
                }

                return calls <= MaxCalls && statements <= MaxStatements && plain <= MaxPlainStatements ? BodyShape.Read : BodyShape.TooLong;
            }

            return BodyShape.TooLong;
        }

        /// <summary>
        /// A body that is only <c>throw new NotImplementedException(...)</c>: a stub, or — in libraries that weave IL after
        /// compiling (CSCore's <c>InteropCalls.CallI</c>, its <c>ILUtils</c> copies under <c>#if IL</c>) — a placeholder the
        /// build replaces with the real body. Calling it is not a path a leak or callback report can help with: code that
        /// reaches a real stub fails on every run. Read from syntax, as the rest of the shape.
        /// </summary>
        private static bool IsPlaceholder(BlockSyntax? block, ExpressionSyntax? expression)
        {
            var thrown = block switch
            {
                { Statements.Count: 1 } when block.Statements[0] is ThrowStatementSyntax statement => statement.Expression,
                null => (expression as ThrowExpressionSyntax)?.Expression,
                _ => null,
            };
            return thrown is ObjectCreationExpressionSyntax { Type: var type }
                   && (type is IdentifierNameSyntax { Identifier.ValueText: "NotImplementedException" }
                       || type is QualifiedNameSyntax { Right.Identifier.ValueText: "NotImplementedException", Left: IdentifierNameSyntax { Identifier.ValueText: "System" } });
        }

        // An expression statement or local declaration with no call or creation in it: 'b->vertexOffset = 0;', 'int len = n * stride;'.
        private static bool IsPlainStore(SyntaxNode statement)
        {
            if (statement is not (ExpressionStatementSyntax or LocalDeclarationStatementSyntax))
            {
                return false;
            }

            foreach (var node in statement.DescendantNodes())
            {
                if (node is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax)
                {
                    return false;
                }
            }

            return true;
        }

        private enum BodyShape
        {
            Read,
            ReadAndThrowsExplicitly,
            Throws,
            TooLong,

            /// <summary>Only <c>throw new NotImplementedException()</c> (<see cref="IsPlaceholder"/>).</summary>
            Placeholder,
        }

        /// <summary>
        /// Whether creating an instance of <paramref name="type"/> runs a field or property initializer that can throw. A
        /// constant (<c>Timeout = Constants.DefaultTimeout</c>), a read of a static field (<c>Lock = s_gate</c>), <c>default</c>, a parameterless creation of a struct and the
        /// creations <see cref="InfallibleCalls"/> knows (an empty list, a <c>StringBuilder</c>) cannot; anything else, and a
        /// declaration that cannot be read, can. Static initializers are not counted: they run once, before any instance,
        /// and a type whose static initializer fails is unusable everywhere, not on one path. Answered once per type.
        /// </summary>
        public bool HasThrowingInstanceInitializers(INamedTypeSymbol type)
            => _initializers.GetOrAdd(type.OriginalDefinition, ReadInitializers);

        private readonly ConcurrentDictionary<INamedTypeSymbol, bool> _initializers = ConcurrentTables.Create<INamedTypeSymbol, bool>(SymbolEqualityComparer.Default);

        private bool ReadInitializers(INamedTypeSymbol type)
        {
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is not TypeDeclarationSyntax declaration)
                {
                    return true;
                }

                foreach (var member in declaration.Members)
                {
                    if (member.Modifiers.Any(Microsoft.CodeAnalysis.CSharp.SyntaxKind.StaticKeyword) || member.Modifiers.Any(Microsoft.CodeAnalysis.CSharp.SyntaxKind.ConstKeyword))
                    {
                        continue;
                    }

                    switch (member)
                    {
                        case FieldDeclarationSyntax field:
                            foreach (var variable in field.Declaration.Variables)
                            {
                                if (variable.Initializer != null && MayThrowInitializing(variable.Initializer))
                                {
                                    return true;
                                }
                            }

                            break;
                        case PropertyDeclarationSyntax { Initializer: { } initializer } when MayThrowInitializing(initializer):
                            return true;
                    }
                }
            }

            return false;
        }

        /// <summary>
        /// The framework collection a private field of interface type always holds (<see cref="CreatedCollections"/>): every
        /// value stored into it creates the same one. A call through the interface then runs that collection's member, so
        /// <c>_handles.Clear()</c> on an <c>ICollection&lt;GCHandle&gt; _handles = []</c> is a list's <c>Clear</c>. Null when
        /// the field is not private, not of an interface type, or holds anything else (or nothing known). Answered once per field.
        /// </summary>
        public string? CollectionHeldBy(IFieldSymbol field)
            => field.DeclaredAccessibility == Accessibility.Private && field.Type.TypeKind == TypeKind.Interface
                ? _collections.GetOrAdd(field.OriginalDefinition, ReadCollection)
                : null;

        private readonly ConcurrentDictionary<IFieldSymbol, string?> _collections = ConcurrentTables.Create<IFieldSymbol, string?>(SymbolEqualityComparer.Default);

        private string? ReadCollection(IFieldSymbol field)
        {
            string? held = null;
            var every = PrivateFieldStores.All(_context.Compilation, field, System.Threading.CancellationToken.None, (syntax, value) =>
            {
                value ??= InitializerValue(syntax);
                var created = value == null ? null : CreatedCollections.Of(value);
                if (created == null || (held != null && held != created))
                {
                    return false;
                }

                held = created;
                return true;
            });
            return every ? held : null;
        }

        /// <summary>
        /// The body a virtual call runs when its receiver is a private field every store of which creates an object of one
        /// class of this compilation (<c>_store = new DictionaryStore()</c>, the field declared as the library's public
        /// <c>IStore</c>): whatever the declared type lets a user implement, that field can only hold the library's own
        /// object, so the call runs that class's implementation of the member. Null for any other call, a field also given
        /// null or another value, a class of another assembly, or an implementation without a body here.
        /// </summary>
        public IMethodSymbol? HeldImplementation(IInvocationOperation invocation)
        {
            if (!invocation.IsVirtual || invocation.Instance == null
                || OperationTree.SkipConversions(invocation.Instance) is not IFieldReferenceOperation { Field: { DeclaredAccessibility: Accessibility.Private } field }
                || _createdClasses.GetOrAdd(field.OriginalDefinition, ReadCreatedClass) is not { } held)
            {
                return null;
            }

            var method = invocation.TargetMethod;
            var implementation = method.ContainingType?.TypeKind == TypeKind.Interface
                ? held.FindImplementationForInterfaceMember(method) as IMethodSymbol
                : BaseTypes.RunOn(held, method);
            return implementation is { IsAbstract: false } && WrapperSummaries.IsSourceMethodWithBody(implementation) ? implementation : null;
        }

        private readonly ConcurrentDictionary<IFieldSymbol, INamedTypeSymbol?> _createdClasses = ConcurrentTables.Create<IFieldSymbol, INamedTypeSymbol?>(SymbolEqualityComparer.Default);

        private INamedTypeSymbol? ReadCreatedClass(IFieldSymbol field)
        {
            INamedTypeSymbol? held = null;
            var every = PrivateFieldStores.All(_context.Compilation, field, System.Threading.CancellationToken.None, (syntax, value) =>
            {
                value ??= InitializerValue(syntax);
                if (value == null || OperationTree.SkipConversions(value) is not IObjectCreationOperation { Type: INamedTypeSymbol { TypeKind: TypeKind.Class } created }
                    || !SymbolEqualityComparer.Default.Equals(created.ContainingAssembly, _context.Compilation.Assembly)
                    || (held != null && !SymbolEqualityComparer.Default.Equals(held, created)))
                {
                    return false;
                }

                held = created;
                return true;
            });
            return every ? held : null;
        }

        // A field initializer's value is stored as syntax only (PrivateFieldStores): bound here, once per field a throw
        // question reaches through a virtual call, and cached with the field's answer.
        private IOperation? InitializerValue(ExpressionSyntax syntax)
        {
            if (!_context.Compilation.ContainsSyntaxTree(syntax.SyntaxTree))
            {
                return null;
            }

#pragma warning disable RS1030 // Once per field a throw question reaches through a virtual call; cached.
            return _context.Compilation.GetSemanticModel(syntax.SyntaxTree).GetOperation(syntax);
#pragma warning restore RS1030
        }

        private bool MayThrowInitializing(EqualsValueClauseSyntax initializer)
        {
            if (!_context.Compilation.ContainsSyntaxTree(initializer.SyntaxTree))
            {
                return true;
            }

#pragma warning disable RS1030 // Once per type whose constructor a throw question reaches; cached.
            var model = _context.Compilation.GetSemanticModel(initializer.SyntaxTree);
#pragma warning restore RS1030
            var value = model.GetOperation(initializer) is ISymbolInitializerOperation assigned ? OperationTree.SkipConversions(assigned.Value) : null;
            return value switch
            {
                null => true,
                { ConstantValue.HasValue: true } => false,
                IDefaultValueOperation => false,
                // An instance initializer can only read static fields; running a type's static initializer is not
                // counted (see above), so reading one is not a failure on this path.
                IFieldReferenceOperation { Instance: null } => false,
                // A primary constructor's parameter, stored as it was given ('public readonly byte Raw = raw;').
                IParameterReferenceOperation => false,
                IObjectCreationOperation { Arguments.Length: 0, Initializer: null, Type.IsValueType: true } => false,
                IObjectCreationOperation creation => !InfallibleCalls.IsInfallible(creation, new StableValues()),
                ICollectionExpressionOperation collection => !CreatedCollections.IsQuiet(collection),
                _ => true,
            };
        }

        private bool Compute(Key key)
        {
            var body = _context.Wrappers.GetBody(key.Method);
            if (body == null)
            {
                return true;
            }

            var nonNull = key.NonNullArguments;
            var method = key.Method;
            System.Func<IParameterSymbol, bool>? nonNullParameters = nonNull == 0
                ? null
                : p => p.Ordinal < 32 && (nonNull & (1 << p.Ordinal)) != 0 && SymbolEqualityComparer.Default.Equals(p.ContainingSymbol.OriginalDefinition, method);
            var throwPoints = new ThrowPoints(_context, key.Catalogue, key.EveryFailure, key.Depth + 1, replacingEncodings: null, describedBuffers: null, key.ChainLinks, nonNullParameters, key.MeasuredArguments);
            return new EscapingExceptions(throwPoints, _context.Types.Exception, callsAndThrowsOnly: !key.EveryFailure).FirstEscaping(body) != null;
        }

        private readonly struct Key : System.IEquatable<Key>
        {
            public Key(IMethodSymbol method, AllocationCatalogue catalogue, bool everyFailure, int depth, int chainLinks, int nonNullArguments, MeasuredArguments? measuredArguments)
            {
                MeasuredArguments = measuredArguments;
                NonNullArguments = nonNullArguments;
                Method = method;
                Catalogue = catalogue;
                EveryFailure = everyFailure;
                Depth = depth;
                ChainLinks = chainLinks;
            }

            public IMethodSymbol Method { get; }
            public AllocationCatalogue Catalogue { get; }
            public bool EveryFailure { get; }
            public int Depth { get; }
            public int ChainLinks { get; }
            public int NonNullArguments { get; }
            public MeasuredArguments? MeasuredArguments { get; }

            public bool Equals(Key other)
                => SymbolEqualityComparer.Default.Equals(Method, other.Method) && ReferenceEquals(Catalogue, other.Catalogue)
                   && EveryFailure == other.EveryFailure && Depth == other.Depth && ChainLinks == other.ChainLinks
                   && NonNullArguments == other.NonNullArguments && Equals(MeasuredArguments, other.MeasuredArguments);

            public override bool Equals(object? obj) => obj is Key other && Equals(other);

            public override int GetHashCode()
                => (SymbolEqualityComparer.Default.GetHashCode(Method) * 31 + Catalogue.GetHashCode()) * 31 + (EveryFailure ? 1 : 0) * 7 + Depth * 11 + ChainLinks + NonNullArguments * 131 + (MeasuredArguments?.GetHashCode() ?? 0);
        }
    }
}
