import { Link } from 'wouter';

export default function NotFound() {
  return (
    <main className="center-page">
      <div>
        <h1>Page not found</h1>
        <p>There is nothing at this address.</p>
        <Link href="/" className="btn">
          Go to the start page
        </Link>
      </div>
    </main>
  );
}
